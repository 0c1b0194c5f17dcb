// The job queue's SQL, and the only place that touches the job table. The worker
// (job-worker.ts) decides what happens to a job; these functions write it. Every write
// about a running job is fenced by its claim (id, instance, attempt): an instance that
// lost its lease (it froze past it and another instance took the job over) changes
// nothing, whatever it believes.
import { Prisma } from "../generated/prisma/client.js";
import type { DbOrTx } from "../db/prisma.js";

export type JobState = "queued" | "running" | "done" | "failed";

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  /** Not before this time; default now. */
  runAt?: Date;
  /** Runs in all, the first included; default the handler's maxAttempts. */
  maxAttempts?: number;
  /** While a queued or running job has this key, enqueueing another returns that one's id. */
  singletonKey?: string;
}

export interface JobRow {
  id: bigint;
  kind: string;
  payload: Record<string, unknown>;
  state: JobState;
  /** Claims so far, the current one included. */
  attempts: number;
  /** Null: the handler's limit. */
  maxAttempts: number | null;
  runAt: Date;
  /** The instance that runs it, or ran it last. */
  lockedBy: string | null;
  /** While running: the lease's end, renewed as the job runs. */
  lockedUntil: Date | null;
  progressDone: number | null;
  progressTotal: number | null;
  error: string | null;
  singletonKey: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One run of a job, as the instance that claimed it knows it. */
export interface JobClaim {
  id: bigint;
  lockedBy: string;
  attempt: number;
}

export interface JobProgress {
  done: number;
  /** Undefined: unchanged. */
  total?: number;
}

/** How a run ends: done, failed for good, or queued again after a delay. */
export type RunEnd = { state: "done" } | { state: "failed"; error: string } | { state: "queued"; error: string; delayMs: number };

// Progress counts stay far below 2^53: read as plain numbers.
const columns = Prisma.sql`id, kind, payload, state::text AS state, attempts, max_attempts AS "maxAttempts", run_at AS "runAt",
  locked_by AS "lockedBy", locked_until AS "lockedUntil", progress_done::float8 AS "progressDone",
  progress_total::float8 AS "progressTotal", error, singleton_key AS "singletonKey", created_at AS "createdAt",
  started_at AS "startedAt", finished_at AS "finishedAt"`;

function later(ms: number): Prisma.Sql {
  return Prisma.sql`now() + ${ms}::float8 * interval '1 millisecond'`;
}

function heldBy(claim: JobClaim): Prisma.Sql {
  return Prisma.sql`id = ${claim.id} AND state = 'running' AND locked_by = ${claim.lockedBy} AND attempts = ${claim.attempt}`;
}

function progressSet(progress: JobProgress | undefined): Prisma.Sql {
  if (!progress) return Prisma.empty;
  return Prisma.sql`, progress_done = ${Math.round(progress.done)}::bigint,
    progress_total = COALESCE(${progress.total === undefined ? null : Math.round(progress.total)}::bigint, progress_total)`;
}

/**
 * Queues a job; inside the caller's transaction when given one (it becomes visible at
 * commit). With a singleton key that a queued or running job holds, nothing is queued and
 * that job's id is returned.
 */
export async function enqueueJob(db: DbOrTx, job: NewJob): Promise<bigint> {
  // The holder may end between the insert and the look-up: then the insert wins next time.
  for (let round = 0; round < 3; round++) {
    const [inserted] = await db.$queryRaw<{ id: bigint }[]>`
      INSERT INTO job (kind, payload, run_at, max_attempts, singleton_key)
      VALUES (${job.kind}, ${JSON.stringify(job.payload)}::jsonb, COALESCE(${job.runAt ?? null}::timestamptz, now()),
        ${job.maxAttempts ?? null}::int, ${job.singletonKey ?? null})
      ON CONFLICT (singleton_key) WHERE state IN ('queued', 'running') DO NOTHING
      RETURNING id`;
    if (inserted) return inserted.id;
    const [holder] = await db.$queryRaw<{ id: bigint }[]>`
      SELECT id FROM job WHERE singleton_key = ${job.singletonKey} AND state IN ('queued', 'running')`;
    if (holder) return holder.id;
  }
  throw new Error(`could not queue the singleton job "${job.singletonKey}": its holder kept changing`);
}

export async function jobById(db: DbOrTx, id: bigint | number): Promise<JobRow | null> {
  const [row] = await db.$queryRaw<JobRow[]>`SELECT ${columns} FROM job WHERE id = ${BigInt(id)}`;
  return row ?? null;
}

/**
 * Takes the queued job of these kinds that is due first, for `leaseMs`. SKIP LOCKED lets
 * instances claim side by side: each passes over the rows another is claiming, so no job
 * is taken twice and none waits behind a lock. Each attempt starts its progress afresh.
 */
export async function claimJob(db: DbOrTx, lockedBy: string, kinds: string[], leaseMs: number): Promise<JobRow | null> {
  const [row] = await db.$queryRaw<JobRow[]>`
    UPDATE job SET state = 'running', locked_by = ${lockedBy}, locked_until = ${later(leaseMs)}, attempts = attempts + 1,
      started_at = now(), progress_done = NULL, progress_total = NULL
    WHERE id = (
      SELECT id FROM job WHERE state = 'queued' AND run_at <= now() AND kind = ANY(${kinds}::text[])
      ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
    RETURNING ${columns}`;
  return row ?? null;
}

/** Gives a claimed job back untouched (claimed as the worker stopped): not an attempt. */
export async function releaseJob(db: DbOrTx, claim: JobClaim): Promise<void> {
  await db.$executeRaw`UPDATE job SET state = 'queued', attempts = attempts - 1, locked_until = NULL, started_at = NULL WHERE ${heldBy(claim)}`;
}

/** Extends the lease (and records progress). False when the run is no longer ours. */
export async function renewJob(db: DbOrTx, claim: JobClaim, leaseMs: number, progress?: JobProgress): Promise<boolean> {
  const count = await db.$executeRaw`UPDATE job SET locked_until = ${later(leaseMs)} ${progressSet(progress)} WHERE ${heldBy(claim)}`;
  return count > 0;
}

/** Ends a run as `end` says; null when the run is no longer the claim's. */
export async function endRun(db: DbOrTx, claim: JobClaim, end: RunEnd, progress?: JobProgress): Promise<JobRow | null> {
  const set =
    end.state === "done"
      ? Prisma.sql`state = 'done', error = NULL, finished_at = now()`
      : end.state === "failed"
        ? Prisma.sql`state = 'failed', error = ${end.error}, finished_at = now()`
        : Prisma.sql`state = 'queued', error = ${end.error}, run_at = ${later(end.delayMs)}`;
  const [row] = await db.$queryRaw<JobRow[]>`
    UPDATE job SET ${set}, locked_until = NULL ${progressSet(progress)} WHERE ${heldBy(claim)} RETURNING ${columns}`;
  return row ?? null;
}

/**
 * Inside a transaction: locks one running job of these kinds whose lease ran out (its
 * instance died, or stopped without waiting for it). SKIP LOCKED: another instance
 * handling one at the same moment is passed over, so each is handled once.
 */
export async function lockExpiredJob(tx: DbOrTx, kinds: string[]): Promise<JobRow | null> {
  const [row] = await tx.$queryRaw<JobRow[]>`
    SELECT ${columns} FROM job
    WHERE state = 'running' AND locked_until < now() AND kind = ANY(${kinds}::text[])
    ORDER BY locked_until FOR UPDATE SKIP LOCKED LIMIT 1`;
  return row ?? null;
}
