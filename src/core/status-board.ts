/** Lines modules add to /status; each provider is asked on every /status. */
export type StatusProvider = () => string[] | Promise<string[]>;

export class StatusBoard {
  private readonly providers = new Map<string, StatusProvider>();

  register(module: string, provider: StatusProvider): void {
    this.providers.set(module, provider);
  }

  /** Every module's lines; a provider that fails says so instead of breaking /status. */
  async lines(): Promise<{ module: string; lines: string[] }[]> {
    const out: { module: string; lines: string[] }[] = [];
    for (const [module, p] of this.providers) {
      try {
        out.push({ module, lines: await p() });
      } catch {
        out.push({ module, lines: ['status unavailable'] });
      }
    }
    return out;
  }
}
