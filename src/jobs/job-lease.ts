// Keeps one running job's lease alive and its progress visible. Both are the same small
// UPDATE on the job's row, sent from the pool outside any transaction of the handler (so
// others see progress at once), one at a time (so reports never arrive out of order):
// every leaseMs / 3 to renew the lease, and at most every 250 ms while progress comes in.
// A handler may report progress for every row it reads: that only keeps the latest figure.
import type { Db } from "../db/prisma.js";
import { renewJob, type JobClaim, type JobProgress } from "./job-queue.js";
import type { JobLog } from "./job-worker.js";

const progressEveryMs = 250;

export class JobLease {
  /** The run is another's now (our lease ran out and someone ended or took the job). */
  lost = false;
  private unreported: JobProgress | undefined;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = Date.now();
  private ended = false;

  constructor(
    private readonly db: Db,
    private readonly claim: JobClaim,
    private readonly leaseMs: number,
    private readonly log: JobLog,
    private readonly onLost: () => void,
  ) {
    this.scheduleWrite();
  }

  report(done: number, total?: number): void {
    const waiting = this.unreported !== undefined;
    this.unreported = { done, total: total ?? this.unreported?.total };
    // A write already waits (or runs, and schedules the next when it ends) otherwise.
    if (!waiting && !this.writing) this.scheduleWrite();
  }

  /** Stops renewing; returns the progress not yet written, for the run's last update. */
  async end(): Promise<JobProgress | undefined> {
    this.ended = true;
    clearTimeout(this.timer);
    await this.writing;
    return this.unreported;
  }

  private scheduleWrite(): void {
    if (this.ended) return;
    clearTimeout(this.timer);
    const interval = this.unreported ? progressEveryMs : this.leaseMs / 3;
    this.timer = setTimeout(() => this.write(), Math.max(0, this.lastWrite + interval - Date.now()));
  }

  private write(): void {
    const progress = this.unreported;
    this.unreported = undefined;
    this.lastWrite = Date.now();
    this.writing = renewJob(this.db, this.claim, this.leaseMs, progress)
      .then((held) => {
        if (held) return;
        this.lost = true;
        this.ended = true;
        this.onLost();
      })
      // A failed renewal is tried again at the next beat; the lease usually outlasts a blip.
      .catch((error: unknown) => {
        this.unreported ??= progress;
        this.log.warn({ err: error }, "could not renew the job's lease");
      })
      .finally(() => {
        this.writing = undefined;
        this.scheduleWrite();
      });
  }
}
