/**
 * Registered zone or cluster ids, cached: a registered id is trusted for `ttlMs` (so an unregistered one is
 * noticed within that time); an id not known to be registered is looked up in PostgreSQL on every chunk that
 * carries it, so a zone registered a moment ago is accepted at once.
 */
export class RegisteredIds {
  private readonly registeredUntil = new Map<string, number>();

  constructor(
    private readonly lookup: (ids: string[]) => Promise<Set<string>>,
    private readonly ttlMs = 60_000,
  ) {}

  /** The ids among `ids` that are not registered. */
  async unregistered(ids: Iterable<string>): Promise<Set<string>> {
    const nowMs = Date.now();
    const ask = [...new Set(ids)].filter((id) => (this.registeredUntil.get(id) ?? 0) <= nowMs);
    if (ask.length === 0) return new Set();
    const found = await this.lookup(ask);
    for (const id of found) this.registeredUntil.set(id, nowMs + this.ttlMs);
    return new Set(ask.filter((id) => !found.has(id)));
  }
}
