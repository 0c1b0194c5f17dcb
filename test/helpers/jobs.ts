// Test harness for the job queue: a database of its own, workers stopped at the end, a
// log that remembers what it was told, and waiting for a condition.
import type { Test } from "tap";
import { createPrismaClient, type Db } from "../../src/db/prisma.js";
import { jobById, type JobRow } from "../../src/jobs/job-queue.js";
import { startJobWorker, type JobHandler, type JobLog, type JobWorker, type JobWorkerOptions } from "../../src/jobs/job-worker.js";
import { createTestDatabase } from "./app.js";

export interface LogLine {
  level: "info" | "warn" | "error";
  details: Record<string, unknown>;
  message: string;
}

/** A JobLog that keeps every line (child bindings merged in) instead of printing it. */
export function recordingLog(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): JobLog & { lines: LogLine[] } {
  const line = (level: LogLine["level"]) => (details: object, message: string) => lines.push({ level, details: { ...bindings, ...details }, message });
  return { lines, info: line("info"), warn: line("warn"), error: line("error"), child: (more) => recordingLog(lines, { ...bindings, ...more }) };
}

/** A fresh database for this test file, and `count` Prisma clients on it (two app instances: two). */
export async function jobDatabase(t: Test, count = 1): Promise<{ url: string; dbs: Db[] }> {
  const url = await createTestDatabase(t);
  const dbs = Array.from({ length: count }, () => createPrismaClient(url, 6));
  t.teardown(() => Promise.all(dbs.map((db) => db.$disconnect())));
  return { url, dbs };
}

/** A worker with test-sized timings, stopped when the test ends. */
export function testWorker(t: Test, db: Db, handlers: Record<string, JobHandler>, options: Partial<JobWorkerOptions> = {}): JobWorker {
  const worker = startJobWorker(db, handlers, { pollIntervalMs: 50, leaseMs: 2_000, retryDelayMs: 20, log: recordingLog(), ...options });
  t.teardown(() => worker.stop(1_000));
  return worker;
}

/** Polls until `check` answers something truthy; fails after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the job is in one of these states, and returns it. */
export function jobIn(db: Db, id: bigint, states: JobRow["state"][], timeoutMs?: number): Promise<JobRow> {
  return waitFor(async () => {
    const job = await jobById(db, id);
    return job && states.includes(job.state) ? job : null;
  }, `job ${id} to be ${states.join(" or ")}`, timeoutMs);
}

/** A promise with its resolve, for handlers that wait on the test. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
