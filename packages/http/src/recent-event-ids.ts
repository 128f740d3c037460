/** How many event ids are remembered: repeats come within seconds of the first send. */
const REMEMBERED = 20_000;

/**
 * The ids of recently seen engine events, so that a repeat (events are delivered at least
 * once: a run that takes over from one that died re-sends them) is counted once.
 */
export class RecentEventIds {
  readonly #seen = new Set<string>();

  /** True the first time `eventId` is seen (an event without one always counts). */
  first(eventId: string | undefined): boolean {
    if (eventId === undefined) return true;
    if (this.#seen.has(eventId)) return false;
    if (this.#seen.size >= REMEMBERED) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.add(eventId);
    return true;
  }
}
