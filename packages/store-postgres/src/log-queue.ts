import { isConnectionError } from './db.js';

/**
 * A log line checked and rendered for a statement's parameters: execution, node (or null),
 * level, message, meta as JSON text (or null), timestamp as ISO-8601 UTC text.
 */
export type LogLine = readonly [string, string | null, string, string, string | null, string];

/** How a {@link LogQueue} writes the lines no completion carried. */
export interface LogQueueOptions {
  /** Writes lines on their own, in their order, by one statement. */
  write: (lines: readonly LogLine[]) => Promise<void>;
  /** Most lines in one write (whole calls: a call's lines are never split). */
  maxLines: number;
}

/** The lines a completion's statement took to write with it; see {@link LogQueue.carry}. */
export interface CarriedLines {
  readonly lines: readonly LogLine[];
  /** The statement ended (call once): `error` when it failed. */
  done(error?: unknown): void;
}

interface Waiting {
  lines: readonly LogLine[];
  /** Whether a completion may carry them (see {@link carriable}). */
  carriable: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Longest meta a completion carries (its JSON text). */
const MAX_CARRIED_META = 4096;

/**
 * Whether a line is sure to be taken by PostgreSQL, so that carrying it can never fail the
 * completions it rides with: text columns take any text that passed `checkText` (UTF-8,
 * U+0000 refused before), but jsonb refuses the escape of a lone surrogate (`\ud800`, the
 * only `\u` escape JSON.stringify writes besides control characters) and very deep
 * nesting, a timestamp past the year 9999 is written with a sign, and the year 0 is none
 * to PostgreSQL. Other lines go on their own, in their turn.
 */
function carriable([, , , , meta, at]: LogLine): boolean {
  if (at.length !== 24 || at.startsWith('0000')) return false;
  return meta === null || (meta.length <= MAX_CARRIED_META && !meta.includes('\\u'));
}

/** What a carry that took nothing hands back. */
const NOTHING: readonly LogLine[] = [];

/**
 * `appendLogs` calls, written in call order — on their own, or by the completion statement
 * that goes out next. A busy process has a completion batch in flight nearly all the time;
 * lines appended meanwhile wait for the next batch's statement (its log-line parameters
 * take them, one commit for both) instead of a round trip and a commit of their own — an
 * execution's end line, for one, came to a tenth of a round trip a node in W2. Lines go
 * out on their own when no completion is in flight, or when the one in flight ends and no
 * next batch took them (a turn later, so that the next batch, started as the last one
 * ends, can take them first). One write of lines at a time, either way, so they keep
 * their order.
 *
 * A completion statement that failed without a doubt about its commit (the server
 * refused it) hands its lines to a write of their own; after a lost connection, whether
 * they were written is unknown, and their callers get the error.
 */
export class LogQueue {
  readonly #options: LogQueueOptions;
  readonly #queue: Waiting[] = [];
  /** Lines are being written (on their own, or carried). */
  #writing = false;
  /** Completion statements in flight that took part in {@link carry}. */
  #carriers = 0;
  #kickArmed = false;

  constructor(options: LogQueueOptions) {
    this.#options = options;
  }

  /** Appends lines; resolves once they are written. */
  append(lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ lines, carriable: lines.every(carriable), resolve, reject });
      this.#kick();
    });
  }

  /**
   * A completion statement is about to be sent: the lines waiting, for its statement to
   * write (none while other lines are being written). Call `done` once it ended.
   */
  carry(): CarriedLines {
    this.#carriers += 1;
    const taken = this.#writing ? [] : this.#take(true);
    if (taken.length > 0) this.#writing = true;
    return {
      lines: taken.length === 0 ? NOTHING : taken.flatMap((w) => w.lines),
      done: (error?: unknown) => {
        this.#carriers -= 1;
        if (taken.length > 0) this.#settleCarried(taken, error);
        // A turn later: the next completion batch starts as this one ends, and takes them.
        this.#armKick();
      },
    };
  }

  #settleCarried(taken: readonly Waiting[], error: unknown): void {
    if (error === undefined) {
      this.#writing = false;
      for (const w of taken) w.resolve();
    } else if (isConnectionError(error)) {
      this.#writing = false;
      for (const w of taken) w.reject(error);
    } else {
      // Refused by the server: not written. They go on their own, first.
      void this.#write(taken);
    }
  }

  /** Calls whose lines fit in one write, oldest first; for a completion, carriable ones. */
  #take(carry = false): Waiting[] {
    const taken: Waiting[] = [];
    let lines = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (carry && !next.carriable) break;
      if (taken.length > 0 && lines + next.lines.length > this.#options.maxLines) break;
      taken.push(next);
      lines += next.lines.length;
      this.#queue.shift();
    }
    return taken;
  }

  #armKick(): void {
    if (this.#kickArmed) return;
    this.#kickArmed = true;
    setImmediate(() => {
      this.#kickArmed = false;
      this.#kick();
    });
  }

  /**
   * Writes the waiting lines on their own, unless lines are in flight or a completion in
   * flight may take them when it ends (the first waiting call is carriable).
   */
  #kick(): void {
    if (this.#writing || this.#queue.length === 0) return;
    if (this.#carriers > 0 && this.#queue[0]!.carriable) return;
    void this.#write(this.#take());
  }

  async #write(taken: readonly Waiting[]): Promise<void> {
    this.#writing = true;
    try {
      await this.#options.write(taken.flatMap((w) => w.lines));
      for (const w of taken) w.resolve();
    } catch (error) {
      for (const w of taken) w.reject(error);
    } finally {
      this.#writing = false;
      this.#kick();
    }
  }
}
