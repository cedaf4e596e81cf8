/**
 * Waits `ms`, or less if `signal` aborts; never rejects. The abort listener is removed when the
 * wait ends, so a long-lived controller polled in a loop (a node reboot followed for minutes)
 * does not collect one listener per poll.
 */
export function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}
