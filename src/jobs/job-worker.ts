// The worker every app instance runs: it claims due jobs of the kinds it has handlers for
// and runs them, a few at a time. Instances share the work through the job table alone
// (job-queue.ts): any may claim any job, and none runs one twice.
//
// Waking up: every pollIntervalMs, and at once when this process calls wake() after
// queueing (app.jobs). Other instances find a new job at their next poll: polling only,
// no LISTEN/NOTIFY, which would need a connection of its own outside the pool, kept
// alive and re-listened after every drop, to save at most a second.
//
// A run holds a lease that it renews while the handler runs (job-lease.ts). A job left
// running with its lease out (its instance died, or stopped without waiting for it) is
// found by the next poll of any instance and re-queued or failed, as its handler says.
import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Db, Tx } from "../db/prisma.js";
import { describeError } from "../shared/describe-error.js";
import { JobLease } from "./job-lease.js";
import { claimJob, endRun, enqueueJob, lockExpiredJob, releaseJob, type JobClaim, type JobProgress, type JobRow, type RunEnd } from "./job-queue.js";

/** The part of a pino logger (app.log) the worker uses. */
export interface JobLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
  child(bindings: Record<string, unknown>): JobLog;
}

export interface JobContext {
  id: bigint;
  kind: string;
  payload: Record<string, unknown>;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /**
   * Aborted when the app stops, or when this instance lost the job's lease. Check it (for
   * example `signal.throwIfAborted()` between chunks of work) and stop by throwing: a run
   * that returns normally counts as done.
   */
  signal: AbortSignal;
  /** How far the job is. Cheap: the row is written at most every 250 ms. */
  progress(done: number, total?: number): void;
  log: JobLog;
}

export interface JobHandler {
  run(ctx: JobContext, db: Db): Promise<void>;
  /** Runs in all, the first included (default 1): a run that throws is retried with backoff until then. */
  maxAttempts?: number;
  /** After an interruption (the lease ran out, or the app stopped): run it again if attempts remain, or fail it. */
  onInterrupted: "retry" | "fail";
  /**
   * Called in the transaction that re-queues or fails an interrupted job, `job` as it now
   * is (its state says which), so that the handler's own rows change with it or not at all.
   */
  interrupted?(tx: Tx, job: JobRow): Promise<void>;
  /**
   * Recurring: the worker keeps one job of this kind queued (singleton key: the kind),
   * queues one on start if none is queued or running, and when one ends (done, or failed
   * for good) queues the next this long after, in the same transaction.
   */
  repeatEveryMs?: number;
}

export interface JobWorkerOptions {
  /** Names this process in job.locked_by; default host:pid:random, new on every start. */
  instanceId?: string;
  /** Default 1 s. */
  pollIntervalMs?: number;
  /** How long a run stays ours without a renewal; default 60 s (renewed every third of it). */
  leaseMs?: number;
  /** Jobs run at once by this process; default 2. */
  concurrency?: number;
  /** Delay before the first retry, doubled for each further one, at most an hour; default 10 s. */
  retryDelayMs?: number;
  log: JobLog;
}

export interface JobWorker {
  /** Claims due jobs now rather than at the next poll. */
  wake(): void;
  /**
   * Stops claiming, aborts the running handlers' signals and waits for them, at most
   * deadlineMs (default 5 s). A handler that ends by throwing is handled as interrupted
   * (re-queued or failed now); one still running at the deadline is left to its lease.
   * Answers whether every run ended by the deadline.
   */
  stop(deadlineMs?: number): Promise<boolean>;
}

export const interruptedMessage = "interrupted: the app stopped while this job ran";
const errorMaxLength = 1000;
const maxRetryDelayMs = 3_600_000;
// Handlers' interrupted() hooks run inside: give them room beyond Prisma's 5 s default.
const transactionOptions = { timeout: 30_000, maxWait: 10_000 };

interface Run {
  controller: AbortController;
  lease: JobLease;
  settled: Promise<void>;
}

export function startJobWorker(db: Db, handlers: Record<string, JobHandler>, options: JobWorkerOptions): JobWorker {
  const worker = new QueueWorker(db, handlers, options);
  worker.start();
  return { wake: () => worker.fill(), stop: (deadlineMs) => worker.stop(deadlineMs) };
}

function defaultInstanceId(): string {
  return `${os.hostname().slice(0, 60)}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

function attemptsAllowed(job: JobRow, handler: JobHandler): number {
  return job.maxAttempts ?? handler.maxAttempts ?? 1;
}

class QueueWorker {
  private readonly instanceId: string;
  private readonly kinds: string[];
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly retryDelayMs: number;
  private readonly log: JobLog;
  private readonly running = new Map<bigint, Run>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private filling: Promise<void> | undefined;
  private fillAgain = false;
  private stopping = false;
  private stopped: Promise<boolean> | undefined;
  /** Past stop's deadline: runs that end now write nothing (the pool may be closed). */
  private detached = false;

  constructor(
    private readonly db: Db,
    private readonly handlers: Record<string, JobHandler>,
    options: JobWorkerOptions,
  ) {
    this.instanceId = options.instanceId ?? defaultInstanceId();
    this.kinds = Object.keys(handlers);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.concurrency = options.concurrency ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 10_000;
    this.log = options.log.child({ worker: this.instanceId });
  }

  start(): void {
    this.polling = this.queueRecurringJobs()
      .catch((error: unknown) => this.log.error({ err: error }, "could not queue the recurring jobs"))
      .then(() => this.poll());
  }

  /** Claims and starts jobs until `concurrency` run or none is due; one claimer at a time. */
  fill(): void {
    if (this.stopping) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.claimWhileRoom()
      .catch((error: unknown) => this.log.error({ err: error }, "could not claim jobs"))
      .finally(() => {
        this.filling = undefined;
        if (this.fillAgain) this.fill();
      });
  }

  /** The first call's deadline holds; later calls wait for the same end. */
  stop(deadlineMs = 5_000): Promise<boolean> {
    this.stopped ??= this.stopRuns(deadlineMs);
    return this.stopped;
  }

  private async stopRuns(deadlineMs: number): Promise<boolean> {
    this.stopping = true;
    clearTimeout(this.pollTimer);
    await Promise.all([this.polling, this.filling]);
    const runs = [...this.running.values()];
    for (const run of runs) run.controller.abort(new Error("the app is stopping"));
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled(runs.map((run) => run.settled)).then(() => false),
      new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), deadlineMs))),
    ]);
    clearTimeout(deadline);
    if (!timedOut) return true;
    this.detached = true;
    for (const run of this.running.values()) void run.lease.end();
    this.log.warn({ jobs: [...this.running.keys()].map(Number) }, "stopped without these jobs ending: when their leases run out, the next poll of any instance re-queues or fails them");
    return false;
  }

  private async queueRecurringJobs(): Promise<void> {
    for (const [kind, handler] of Object.entries(this.handlers)) {
      if (handler.repeatEveryMs !== undefined) await enqueueJob(this.db, { kind, payload: {}, singletonKey: kind });
    }
  }

  private async poll(): Promise<void> {
    try {
      await this.endExpiredRuns();
    } catch (error) {
      this.log.error({ err: error }, "could not end the jobs whose lease ran out");
    }
    this.fill();
    if (!this.stopping) {
      this.pollTimer = setTimeout(() => (this.polling = this.poll()), this.pollIntervalMs);
      // The HTTP server keeps the process alive, never the worker on its own.
      this.pollTimer.unref();
    }
  }

  private async claimWhileRoom(): Promise<void> {
    do {
      this.fillAgain = false;
      while (!this.stopping && this.running.size < this.concurrency) {
        const job = await claimJob(this.db, this.instanceId, this.kinds, this.leaseMs);
        if (!job) break;
        // stop() came while the claim was on its way: a job that never started is no attempt.
        if (this.stopping) await releaseJob(this.db, { id: job.id, lockedBy: this.instanceId, attempt: job.attempts });
        else this.startRun(job);
      }
    } while (this.fillAgain && !this.stopping);
  }

  private startRun(job: JobRow): void {
    const claim: JobClaim = { id: job.id, lockedBy: this.instanceId, attempt: job.attempts };
    const log = this.log.child({ job: Number(job.id), kind: job.kind, attempt: job.attempts });
    const controller = new AbortController();
    const lease = new JobLease(this.db, claim, this.leaseMs, log, () => controller.abort(new Error("the job's lease was lost: another instance ended or took it")));
    const settled = this.run(job, claim, controller, lease, log)
      .catch((error: unknown) => log.error({ err: error }, "could not record how the job ended"))
      .finally(() => {
        this.running.delete(job.id);
        this.fill();
      });
    this.running.set(job.id, { controller, lease, settled });
  }

  private async run(job: JobRow, claim: JobClaim, controller: AbortController, lease: JobLease, log: JobLog): Promise<void> {
    const handler = this.handlers[job.kind]!;
    const ctx: JobContext = {
      id: job.id,
      kind: job.kind,
      payload: job.payload,
      attempt: job.attempts,
      signal: controller.signal,
      progress: (done, total) => lease.report(done, total),
      log,
    };
    const started = Date.now();
    let failure: { error: unknown } | undefined;
    try {
      await handler.run(ctx, this.db);
    } catch (error) {
      failure = { error };
    }
    const progress = await lease.end();
    if (this.detached) return;
    if (lease.lost) {
      log.warn({}, "the job's lease was lost while it ran: its outcome is not recorded");
    } else if (!failure) {
      await this.endRunAs(claim, handler, { state: "done" }, progress);
      log.info({ ms: Date.now() - started }, "job done");
    } else if (controller.signal.aborted) {
      await this.db.$transaction((tx) => this.endInterrupted(tx, job, claim, handler, progress), transactionOptions);
      log.warn({ err: failure.error }, "job interrupted by the stop");
    } else {
      await this.endFailed(job, claim, handler, failure.error, progress, log);
    }
  }

  private async endFailed(job: JobRow, claim: JobClaim, handler: JobHandler, error: unknown, progress: JobProgress | undefined, log: JobLog): Promise<void> {
    const message = describeError(error).slice(0, errorMaxLength);
    const retry = job.attempts < attemptsAllowed(job, handler);
    // The stack goes to the log only: the row's message is shown to users.
    log.error({ err: error, retry }, "job failed");
    const delayMs = Math.min(this.retryDelayMs * 2 ** (job.attempts - 1), maxRetryDelayMs);
    await this.endRunAs(claim, handler, retry ? { state: "queued", error: message, delayMs } : { state: "failed", error: message }, progress);
  }

  private async endRunAs(claim: JobClaim, handler: JobHandler, end: RunEnd, progress: JobProgress | undefined): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const ended = await endRun(tx, claim, end, progress);
      if (ended) await this.queueNextRun(tx, ended, handler);
    }, transactionOptions);
  }

  /** Re-queues or fails an interrupted run, with the handler's hook, in the caller's transaction. */
  private async endInterrupted(tx: Tx, job: JobRow, claim: JobClaim, handler: JobHandler, progress?: JobProgress): Promise<JobRow | null> {
    const retry = handler.onInterrupted === "retry" && job.attempts < attemptsAllowed(job, handler);
    const end: RunEnd = retry ? { state: "queued", error: interruptedMessage, delayMs: 0 } : { state: "failed", error: interruptedMessage };
    const ended = await endRun(tx, claim, end, progress);
    if (!ended) return null;
    await handler.interrupted?.(tx, ended);
    await this.queueNextRun(tx, ended, handler);
    return ended;
  }

  /** After a recurring job's run has ended for good: the next one. */
  private async queueNextRun(tx: Tx, ended: JobRow, handler: JobHandler): Promise<void> {
    if (handler.repeatEveryMs === undefined || ended.state === "queued") return;
    await enqueueJob(tx, { kind: ended.kind, payload: ended.payload, runAt: new Date(Date.now() + handler.repeatEveryMs), singletonKey: ended.kind });
  }

  /** Every running job of our kinds whose lease ran out, each in its own transaction. */
  private async endExpiredRuns(): Promise<void> {
    while (!this.stopping) {
      const ended = await this.db.$transaction(async (tx) => {
        const job = await lockExpiredJob(tx, this.kinds);
        if (!job) return null;
        const claim: JobClaim = { id: job.id, lockedBy: job.lockedBy!, attempt: job.attempts };
        return this.endInterrupted(tx, job, claim, this.handlers[job.kind]!);
      }, transactionOptions);
      if (!ended) return;
      this.log.warn({ job: Number(ended.id), kind: ended.kind, ranOn: ended.lockedBy, now: ended.state }, "job interrupted: its lease ran out");
    }
  }
}
