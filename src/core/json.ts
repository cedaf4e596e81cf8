/** The JSON in `text`, or undefined when it is empty or not JSON (the caller decides what that means). */
export function parseJsonOrUndefined(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
