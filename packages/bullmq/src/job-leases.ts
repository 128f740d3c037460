import type { EngineFaultCounts } from '@spane/core';

/**
 * A node job's lock as this process knows it: held while BullMQ renews it in time; lost
 * when a renewal is refused (another worker took the job after it stalled) or when none
 * has succeeded for nearly a lock's duration (Redis stalled or unreachable: the lock may
 * have expired there). A run whose lease is lost stops: its executor is aborted, it records
 * nothing more, and the job is left to the run that took it over.
 */
export class JobLease {
  #lost = false;
  #renewedAt: number;
  readonly #maxAgeMs: number;
  readonly #listeners: (() => void)[] = [];

  constructor(
    readonly jobId: string,
    now: number,
    maxAgeMs: number,
  ) {
    this.#renewedAt = now;
    this.#maxAgeMs = maxAgeMs;
  }

  /**
   * Checks the lease now (not only at the next periodic check): a process that was frozen
   * (SIGSTOP, a stalled VM) past its lock finds it lost before its code goes on.
   */
  check(): boolean {
    if (!this.#lost && this.staleAt(Date.now(), this.#maxAgeMs)) this.lose();
    return !this.#lost;
  }

  /** True once the lock is known or presumed lost. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Calls `listener` once when the lease is lost (at once if it already is). */
  onLost(listener: () => void): void {
    if (this.#lost) listener();
    else this.#listeners.push(listener);
  }

  /** @internal A renewal succeeded now. */
  renewed(now: number): void {
    this.#renewedAt = now;
  }

  /** @internal Whether the last renewal is older than `maxAgeMs` at `now`. */
  staleAt(now: number, maxAgeMs: number): boolean {
    return now - this.#renewedAt > maxAgeMs;
  }

  /** @internal Marks the lease lost and tells its listeners. */
  lose(): void {
    if (this.#lost) return;
    this.#lost = true;
    for (const listener of this.#listeners.splice(0)) listener();
  }
}

/** The lock events of BullMQ workers (`locksRenewed`, `lockRenewalFailed`). */
export interface LockEvents {
  on(event: 'locksRenewed', listener: (renewed: { jobIds: string[] }) => void): unknown;
  on(event: 'lockRenewalFailed', listener: (jobIds: string[]) => void): unknown;
}

/**
 * The leases of the node jobs this process runs, kept from its workers' lock events and a
 * check every quarter lock: a lease with no successful renewal for a whole `lockDurationMs`
 * is lost — the lock has surely expired in Redis by then (it runs from before the renewal
 * was sent), and another worker may take the job (BullMQ renews every quarter to half
 * lock while Redis answers).
 */
export class JobLeases {
  readonly #leases = new Map<string, JobLease>();
  readonly #maxAgeMs: number;
  readonly #checkEveryMs: number;
  readonly #faults: Pick<EngineFaultCounts, 'lostLocks'>;
  #timer: NodeJS.Timeout | undefined;

  /** `faults.lostLocks` counts the leases lost. */
  constructor(lockDurationMs: number, faults: Pick<EngineFaultCounts, 'lostLocks'>) {
    this.#faults = faults;
    this.#maxAgeMs = lockDurationMs;
    this.#checkEveryMs = Math.max(50, Math.floor(lockDurationMs / 4));
  }

  /** Follows a worker's lock events. */
  watch(worker: LockEvents): void {
    worker.on('locksRenewed', ({ jobIds }) => {
      const now = Date.now();
      for (const id of jobIds) this.#leases.get(id)?.renewed(now);
    });
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const id of jobIds) this.#leases.get(id)?.lose();
    });
  }

  /** A lease for a job this process began processing (its lock taken about now). */
  take(jobId: string): JobLease {
    const lease = new JobLease(jobId, Date.now(), this.#maxAgeMs);
    lease.onLost(() => {
      this.#faults.lostLocks += 1;
    });
    this.#leases.set(jobId, lease);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#check(), this.#checkEveryMs);
      this.#timer.unref();
    }
    return lease;
  }

  /** The job left this process's worker: its lease is no longer followed. */
  release(lease: JobLease): void {
    if (this.#leases.get(lease.jobId) === lease) this.#leases.delete(lease.jobId);
    if (this.#leases.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #check(): void {
    const now = Date.now();
    for (const lease of this.#leases.values()) {
      if (lease.staleAt(now, this.#maxAgeMs)) lease.lose();
    }
  }
}

/**
 * Makes `signal` (a run's `ctx.signal`) check the run's lease whenever it is read: an
 * executor that looks at `signal.aborted` (or calls `throwIfAborted`) before a side effect
 * sees a lock lost while its process was frozen, even before the periodic check ran.
 */
export function checkLeaseOnRead(signal: AbortSignal, lease: Pick<JobLease, 'check'>): void {
  const aborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get;
  if (!aborted) return;
  Object.defineProperty(signal, 'aborted', {
    configurable: true,
    get() {
      lease.check();
      return aborted.call(signal);
    },
  });
  Object.defineProperty(signal, 'throwIfAborted', {
    configurable: true,
    value() {
      lease.check();
      AbortSignal.prototype.throwIfAborted.call(signal);
    },
  });
}
