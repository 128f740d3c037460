import type { TextOutput } from './command.js';

const CLEAR_LINE = '\r\x1b[2K';

/**
 * A status line on a terminal, or status lines in a log. On a TTY {@link show} rewrites
 * one line in place (cut to the terminal's width) and {@link clear} erases it; elsewhere a
 * line is printed only when its `key` (the line without its clock) changed, and at most
 * one per `logIntervalMs`, so that a log gets a line per step of a slow run and a few for
 * a fast one (call {@link show} again on a timer for the last change to appear).
 */
export class ProgressLine {
  readonly #out: TextOutput;
  readonly #logIntervalMs: number;
  #shown = false;
  #lastKey: string | undefined;
  #lastLogAt = Number.NEGATIVE_INFINITY;

  constructor(out: TextOutput, { logIntervalMs = 1000 }: { logIntervalMs?: number } = {}) {
    this.#out = out;
    this.#logIntervalMs = logIntervalMs;
  }

  /** True when the line is rewritten in place. */
  get live(): boolean {
    return this.#out.isTTY === true;
  }

  /** Shows `line`; `key` is what must change for a new line in a log (default: `line`). */
  show(line: string, key: string = line): void {
    if (this.live) {
      const width = Math.max(20, (this.#out.columns ?? 80) - 1);
      const text = line.length > width ? `${line.slice(0, width - 1)}…` : line;
      this.#out.write(`${CLEAR_LINE}${text}`);
      this.#shown = true;
      this.#lastKey = key;
    } else if (key !== this.#lastKey && Date.now() - this.#lastLogAt >= this.#logIntervalMs) {
      this.#out.write(`${line}\n`);
      this.#lastKey = key;
      this.#lastLogAt = Date.now();
    }
  }

  /** Erases the line on a TTY (before a result is printed); nothing elsewhere. */
  clear(): void {
    if (this.#shown) this.#out.write(CLEAR_LINE);
    this.#shown = false;
  }
}
