/**
 * One run of a job (its own node's, or one it carries): resolves with what it leaves the
 * job to carry next, and calls `executed` once it no longer executes — before its
 * completion is recorded, when it completed.
 */
export type JobRun<N> = (executed: () => void) => Promise<N[]>;

/** What {@link runInTurn} runs. */
export interface JobRunsPlan<N> {
  /** The job's own run. */
  first: JobRun<N>;
  /** What the job carries before anything its runs leave it (its riders). */
  pending: N[];
  /** The run of a carried item, or undefined when it runs elsewhere (its own job). */
  carry: (item: N) => Promise<JobRun<N> | undefined>;
  /** After a run threw and the others ended: what is left of `pending`. */
  onFailure: (left: N[]) => Promise<void>;
}

/**
 * Runs a job's runs one executor at a time — its own first, then what is pending, then
 * what each run leaves, in that order — with a run's completion recorded while the next
 * one executes (every item pending was made ready by a completion already recorded, so
 * none waits for another's). Ends once every run has. When a run throws, the runs still
 * going are waited for, `onFailure` gets what was left, and the first error is thrown.
 */
export async function runInTurn<N>(plan: JobRunsPlan<N>): Promise<void> {
  const { pending } = plan;
  const going = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  // Starts a run; resolves once it no longer executes (its completion may be recording).
  const start = (run: JobRun<N>): Promise<void> =>
    new Promise<void>((executed) => {
      const ended = run(executed)
        .then(
          (left) => {
            pending.push(...left);
          },
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => {
          going.delete(ended);
          executed();
        });
      going.add(ended);
    });
  try {
    await start(plan.first);
    for (;;) {
      if (failure) throw failure.error;
      const item = pending.shift();
      if (item === undefined) {
        if (going.size === 0) return;
        await Promise.race(going);
        continue;
      }
      const run = await plan.carry(item);
      if (run) await start(run);
    }
  } catch (error) {
    await Promise.all(going);
    await plan.onFailure(pending);
    throw error;
  }
}
