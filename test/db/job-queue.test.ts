// The job queue on a real PostgreSQL: a job queued is run once and recorded done, its
// progress is seen by others while it runs, a singleton is queued once, and two instances
// share a queue without running any job twice or skipping one.
import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import pg from "pg";
import { claimJob, enqueueJob, jobById } from "../../src/jobs/job-queue.js";
import type { JobContext } from "../../src/jobs/job-worker.js";
import { gate, jobDatabase, jobIn, testWorker, waitFor } from "../helpers/jobs.js";

t.test("a queued job runs once and is recorded done", async (t) => {
  const { dbs: [db] } = await jobDatabase(t);
  const seen: JobContext[] = [];
  const worker = testWorker(t, db!, { greet: { onInterrupted: "fail", run: async (ctx) => void seen.push(ctx) } }, { pollIntervalMs: 60_000 });
  const id = await enqueueJob(db!, { kind: "greet", payload: { name: "Ada" } });
  t.equal(typeof id, "bigint");
  worker.wake();
  const job = await jobIn(db!, id, ["done"], 5_000);
  t.equal(seen.length, 1, "the handler ran once, woken without waiting for a poll");
  t.same({ id: seen[0]!.id, kind: seen[0]!.kind, payload: seen[0]!.payload, attempt: seen[0]!.attempt }, { id, kind: "greet", payload: { name: "Ada" }, attempt: 1 });
  t.match(job, { attempts: 1, error: null, lockedUntil: null });
  t.ok(job.startedAt && job.finishedAt && job.finishedAt >= job.startedAt, "started and finished times");
  t.equal(await jobById(db!, 999_999), null, "an unknown id is null");
});

t.test("progress is visible from another connection while the handler runs", async (t) => {
  const { url, dbs: [db] } = await jobDatabase(t);
  const release = gate();
  testWorker(t, db!, {
    count: {
      onInterrupted: "fail",
      async run(ctx, db) {
        // The handler's own transaction stays open meanwhile: progress is written outside it.
        await db.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT 1`;
          for (let i = 1; i <= 100_000; i++) ctx.progress(i, 100_000);
          await release.opened;
          ctx.progress(100_000);
        }, { timeout: 30_000 });
      },
    },
  });
  const id = await enqueueJob(db!, { kind: "count", payload: {} });
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  t.teardown(() => other.end());
  const seen = await waitFor(async () => {
    const row = (await other.query("SELECT state::text, progress_done::int AS done, progress_total::int AS total FROM job WHERE id = $1", [id])).rows[0];
    return row?.state === "running" && row.done !== null ? row : null;
  }, "progress while running");
  t.same(seen, { state: "running", done: 100_000, total: 100_000 }, "100,000 reports in a loop: the latest figure, with the total");
  release.open();
  const job = await jobIn(db!, id, ["done"]);
  t.same([job.progressDone, job.progressTotal], [100_000, 100_000], "a report without a total keeps the total");
});

t.test("enqueueing joins the caller's transaction; a singleton key is queued once", async (t) => {
  const { dbs: [db] } = await jobDatabase(t);
  await t.rejects(
    db!.$transaction(async (tx) => {
      await enqueueJob(tx, { kind: "import", payload: { file: "a.csv" } });
      throw new Error("the caller's write failed");
    }),
  );
  t.equal(await db!.job.count(), 0, "rolled back with the caller's transaction");

  const first = await enqueueJob(db!, { kind: "purge", payload: {}, singletonKey: "purge" });
  const again = await Promise.all([1, 2, 3].map(() => enqueueJob(db!, { kind: "purge", payload: {}, singletonKey: "purge" })));
  t.same(again, [first, first, first], "while one is queued, its id is returned");
  const claimed = await claimJob(db!, "instance-a", ["purge"], 60_000);
  t.equal(claimed?.id, first);
  t.equal(await enqueueJob(db!, { kind: "purge", payload: {}, singletonKey: "purge" }), first, "and while it runs");
  await db!.job.update({ where: { id: first }, data: { state: "done" } });
  t.not(await enqueueJob(db!, { kind: "purge", payload: {}, singletonKey: "purge" }), first, "once it ended, a new one is queued");
  t.equal(await db!.job.count({ where: { singletonKey: "purge" } }), 2);
});

t.test("a job is not claimed before its time, nor by an instance without its handler", async (t) => {
  const { dbs: [db] } = await jobDatabase(t);
  const later = await enqueueJob(db!, { kind: "a", payload: {}, runAt: new Date(Date.now() + 60_000) });
  await enqueueJob(db!, { kind: "b", payload: {} });
  t.equal(await claimJob(db!, "instance-a", ["a"], 60_000), null);
  const due = await enqueueJob(db!, { kind: "a", payload: {} });
  t.equal((await claimJob(db!, "instance-a", ["a"], 60_000))?.id, due);
  t.equal((await jobById(db!, later))?.state, "queued");
});

t.test("two instances on one database run 200 jobs, each exactly once", async (t) => {
  const { dbs } = await jobDatabase(t, 2);
  const [a, b] = dbs as [typeof dbs[0], typeof dbs[0]];
  const runs = new Map<number, string[]>();
  const handlerOf = (instance: string) => ({
    work: {
      onInterrupted: "fail" as const,
      async run(ctx: JobContext) {
        const n = ctx.payload.n as number;
        runs.set(n, [...(runs.get(n) ?? []), instance]);
        await sleep(Math.random() * 5);
      },
    },
  });
  await a.$executeRaw`INSERT INTO job (kind, payload) SELECT 'work', jsonb_build_object('n', n) FROM generate_series(1, 200) n`;
  testWorker(t, a, handlerOf("a"), { concurrency: 3, instanceId: "a" });
  testWorker(t, b, handlerOf("b"), { concurrency: 3, instanceId: "b" });
  await waitFor(async () => (await a.job.count({ where: { state: "done" } })) === 200, "200 jobs done", 30_000);
  t.equal(runs.size, 200, "none skipped");
  t.same([...runs.values()].filter((instances) => instances.length !== 1), [], "none run twice");
  const byInstance = await a.$queryRaw<{ lockedBy: string; n: number }[]>`SELECT locked_by AS "lockedBy", count(*)::int AS n FROM job GROUP BY 1 ORDER BY 1`;
  t.same(byInstance.map((r) => r.lockedBy), ["a", "b"], `both instances took part (${byInstance.map((r) => `${r.lockedBy}: ${r.n}`).join(", ")})`);
  t.equal(await a.job.count({ where: { attempts: { not: 1 } } }), 0, "each claimed once");
});
