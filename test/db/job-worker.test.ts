// What the worker does when things go wrong: a handler that throws, an instance that dies
// or stops mid-job, a job that runs longer than its lease; and the recurring session purge.
import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { Tx } from "../../src/db/prisma.js";
import { sessionPurge } from "../../src/jobs/job-handlers.js";
import { claimJob, enqueueJob, jobById, type JobRow } from "../../src/jobs/job-queue.js";
import { interruptedMessage, type JobContext, type JobHandler } from "../../src/jobs/job-worker.js";
import { makeUser } from "../helpers/factories.js";
import { gate, jobDatabase, jobIn, recordingLog, testWorker, waitFor } from "../helpers/jobs.js";

t.test("a handler that throws is retried with backoff, then failed with its message", async (t) => {
  const { dbs: [db] } = await jobDatabase(t);
  const log = recordingLog();
  const attempts: { attempt: number; at: number }[] = [];
  const flaky: JobHandler = {
    maxAttempts: 3,
    onInterrupted: "fail",
    async run(ctx) {
      attempts.push({ attempt: ctx.attempt, at: Date.now() });
      if (ctx.payload.failUntil === "never" || ctx.attempt < (ctx.payload.failUntil as number)) throw new Error(`the file could not be read (try ${ctx.attempt})`);
    },
  };
  testWorker(t, db!, { flaky }, { retryDelayMs: 100, log });

  const failing = await enqueueJob(db!, { kind: "flaky", payload: { failUntil: "never" } });
  const job = await jobIn(db!, failing, ["failed"]);
  t.same(attempts.map((a) => a.attempt), [1, 2, 3], "run up to the handler's maxAttempts");
  t.ok(attempts[1]!.at - attempts[0]!.at >= 100 && attempts[2]!.at - attempts[1]!.at >= 200, "the delay doubles between retries");
  t.match(job, { state: "failed", attempts: 3, error: "the file could not be read (try 3)" }, "the last error's message, no stack");
  const logged = log.lines.filter((l) => l.message === "job failed");
  t.equal(logged.length, 3, "every failure is logged");
  t.match((logged[2]!.details.err as Error).stack, /at /, "with its stack");
  t.same(logged.map((l) => l.details.retry), [true, true, false]);

  attempts.length = 0;
  const once = await enqueueJob(db!, { kind: "flaky", payload: { failUntil: 2 }, maxAttempts: 2 });
  t.match(await jobIn(db!, once, ["done"]), { attempts: 2, error: null }, "a retry that succeeds ends done, its error cleared");
  const single = await enqueueJob(db!, { kind: "flaky", payload: { failUntil: "never" }, maxAttempts: 1 });
  t.match(await jobIn(db!, single, ["failed"]), { attempts: 1 }, "the job's own maxAttempts overrides the handler's");
});

/** A kind whose runs are recorded; `interrupted` writes a reseller in the job's transaction. */
function recordedHandler(policy: "retry" | "fail", maxAttempts = 2) {
  const runs: JobContext[] = [];
  const hooks: JobRow[] = [];
  const handler: JobHandler = {
    maxAttempts,
    onInterrupted: policy,
    async run(ctx) {
      runs.push(ctx);
    },
    async interrupted(tx: Tx, job: JobRow) {
      hooks.push(job);
      await tx.reseller.create({ data: { name: `import ${job.id} ${job.state}` } });
    },
  };
  return { handler, runs, hooks };
}

t.test("a job whose instance died is ended by another instance, as its handler says", async (t) => {
  const { dbs: [db] } = await jobDatabase(t);

  t.test("fail: failed with the interruption's message, the hook's writes in the same transaction", async (t) => {
    const importer = recordedHandler("fail");
    const id = await enqueueJob(db!, { kind: "import", payload: {} });
    // The dead instance: it claimed the job and never came back to renew its lease.
    await claimJob(db!, "dead-instance", ["import"], 1);
    let failHook = true;
    const hook = importer.handler.interrupted!;
    importer.handler.interrupted = async (tx, job) => {
      await hook(tx, job);
      if (failHook) throw new Error("the hook failed");
    };
    const log = recordingLog();
    testWorker(t, db!, { import: importer.handler }, { log });
    await waitFor(() => log.lines.some((l) => l.message === "could not end the jobs whose lease ran out"), "the failing hook's error");
    t.equal((await jobById(db!, id))?.state, "running", "a hook that throws rolls the change back: the job waits for the next poll");
    t.equal(await db!.reseller.count(), 0, "and so do the hook's own writes");
    failHook = false;
    const job = await jobIn(db!, id, ["failed"]);
    t.match(job, { error: interruptedMessage, lockedBy: "dead-instance", attempts: 1 });
    t.equal(importer.runs.length, 0, "not run again");
    t.equal((await db!.reseller.findFirst())?.name, `import ${id} failed`, "the hook saw the job failed, and its write committed with it");
  });

  t.test("retry: queued again and run, while attempts remain", async (t) => {
    const purge = recordedHandler("retry", 2);
    const id = await enqueueJob(db!, { kind: "tidy", payload: {} });
    await claimJob(db!, "dead-instance", ["tidy"], 1);
    const spent = await enqueueJob(db!, { kind: "tidy", payload: {}, maxAttempts: 1 });
    await claimJob(db!, "dead-instance", ["tidy"], 1);
    testWorker(t, db!, { tidy: purge.handler });
    t.match(await jobIn(db!, id, ["done"]), { attempts: 2, error: null });
    t.same(purge.runs.map((r) => [r.id, r.attempt]), [[id, 2]], "run once more, as its second attempt");
    t.match(await jobIn(db!, spent, ["failed"]), { attempts: 1, error: interruptedMessage }, "with no attempt left: failed");
    t.same(purge.hooks.map((j) => [j.id, j.state]).sort(), [[id, "queued"], [spent, "failed"]].sort(), "the hook is told either way");
  });
});

t.test("two workers: one expired job is handled once", async (t) => {
  const { dbs } = await jobDatabase(t, 2);
  const importer = recordedHandler("fail");
  const ids = [];
  for (let i = 0; i < 20; i++) ids.push(await enqueueJob(dbs[0]!, { kind: "import", payload: {} }));
  for (let i = 0; i < 20; i++) await claimJob(dbs[0]!, "dead-instance", ["import"], 1);
  testWorker(t, dbs[0]!, { import: importer.handler });
  testWorker(t, dbs[1]!, { import: importer.handler });
  await waitFor(async () => (await dbs[0]!.job.count({ where: { state: "failed" } })) === 20, "20 failed");
  t.equal(importer.hooks.length, 20, "each hook called once");
  t.equal(await dbs[0]!.reseller.count(), 20);
});

t.test("a job that runs longer than its lease keeps it", async (t) => {
  const { dbs } = await jobDatabase(t, 2);
  const slow: JobHandler = { onInterrupted: "fail", run: () => sleep(1_200) };
  testWorker(t, dbs[0]!, { slow }, { leaseMs: 300, instanceId: "runner" });
  const id = await enqueueJob(dbs[0]!, { kind: "slow", payload: {} });
  await jobIn(dbs[0]!, id, ["running"]);
  testWorker(t, dbs[1]!, { slow }, { leaseMs: 300, instanceId: "watcher" });
  t.match(await jobIn(dbs[0]!, id, ["done", "failed"]), { state: "done", attempts: 1, lockedBy: "runner" }, "renewed while it ran: the other instance left it alone");
});

t.test("stop() aborts the running handlers and waits for them", async (t) => {
  const { dbs: [db] } = await jobDatabase(t);

  for (const policy of ["fail", "retry"] as const) {
    t.test(`a handler that stops when told (${policy})`, async (t) => {
      const importer = recordedHandler(policy);
      let ended = false;
      importer.handler.run = async (ctx) => {
        ctx.progress(5, 10);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        await sleep(200);
        ended = true;
        ctx.signal.throwIfAborted();
      };
      const worker = testWorker(t, db!, { [policy]: importer.handler });
      const id = await enqueueJob(db!, { kind: policy, payload: {} });
      worker.wake();
      await jobIn(db!, id, ["running"]);
      t.equal(await worker.stop(5_000), true, "every run ended in time");
      t.ok(ended, "stop() returned after the handler ended");
      const job = (await jobById(db!, id))!;
      t.match(job, policy === "fail" ? { state: "failed", error: interruptedMessage } : { state: "queued", error: interruptedMessage, attempts: 1 });
      t.same([job.progressDone, job.progressTotal], [5, 10], "its last progress is kept");
      t.same(importer.hooks.map((j) => j.state), [policy === "fail" ? "failed" : "queued"], "interrupted() called in the same transaction");
    });
  }

  t.test("a handler that ignores the signal: stop() returns at its deadline, the lease ends the job later", async (t) => {
    const importer = recordedHandler("fail");
    const never = gate();
    t.teardown(never.open);
    importer.handler.run = () => never.opened;
    const worker = testWorker(t, db!, { stuck: importer.handler }, { leaseMs: 400 });
    const id = await enqueueJob(db!, { kind: "stuck", payload: {} });
    worker.wake();
    await jobIn(db!, id, ["running"]);
    const started = Date.now();
    t.equal(await worker.stop(300), false, "says a run did not end in time");
    t.ok(Date.now() - started < 1_000, "waited for the deadline only");
    t.equal((await jobById(db!, id))?.state, "running", "left running: its lease still holds");
    testWorker(t, db!, { stuck: recordedHandler("fail").handler }, { leaseMs: 400 });
    t.match(await jobIn(db!, id, ["failed"]), { error: interruptedMessage }, "the next start (or any instance) fails it once the lease ran out");
  });
});

t.test("the session purge: queued once however many instances start, and purges", async (t) => {
  const { url, dbs } = await jobDatabase(t, 2);
  const [a, b] = dbs as [NonNullable<typeof dbs[0]>, NonNullable<typeof dbs[0]>];
  const user = await makeUser(a, { username: "sam", role: "support" });
  const now = Date.now();
  await a.session.createMany({
    data: [
      { tokenHash: "a".repeat(64), userId: user.id, expiresAt: new Date(now - 1_000) },
      { tokenHash: "b".repeat(64), userId: user.id, lastSeenAt: new Date(now - 3 * 3_600_000), expiresAt: new Date(now + 3_600_000) },
      { tokenHash: "c".repeat(64), userId: user.id, expiresAt: new Date(now + 3_600_000) },
    ],
  });
  // One instance is the app with its worker, the other a worker on its own connection pool.
  const config = { ...loadConfig({}), databaseUrl: url, jobPollIntervalMs: 50 };
  const app = await buildApp(config, a, { logger: false, runJobs: true });
  t.teardown(() => app.close());
  const policy = { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours };
  testWorker(t, b, { "session-purge": sessionPurge(policy) });
  await app.ready();

  const done = await waitFor(() => a.job.findFirst({ where: { kind: "session-purge", state: "done" } }), "a purge done");
  // Give the other instance time to see it too: it must not queue or run a second one.
  await sleep(300);
  const jobs = await a.job.findMany({ where: { kind: "session-purge" }, orderBy: { id: "asc" } });
  t.same(jobs.map((j) => j.state), ["done", "queued"], "one purge ran, one is queued: never two at once");
  t.ok(Math.abs(jobs[1]!.runAt.getTime() - (done.finishedAt!.getTime() + 3_600_000)) < 5_000, "the next an hour after");
  t.same((await a.session.findMany({ select: { tokenHash: true } })).map((s) => s.tokenHash[0]), ["c"], "past their end or idle too long: purged");
});

t.test("app.jobs queues and wakes the app's worker", async (t) => {
  const { url, dbs: [db] } = await jobDatabase(t);
  const app = await buildApp({ ...loadConfig({}), databaseUrl: url, jobPollIntervalMs: 60_000 }, db!, { logger: false, runJobs: true });
  await app.ready();
  await waitFor(() => db!.job.findFirst({ where: { kind: "session-purge", state: "done" } }), "the first purge, run on start");
  const recurring = await db!.job.findFirstOrThrow({ where: { kind: "session-purge", state: "queued" } });
  const id = await app.jobs.enqueue({ kind: "session-purge", payload: {} });
  t.not(id, recurring.id, "a job without a singleton key is queued beside the recurring one");
  await jobIn(db!, id, ["done"], 5_000);
  t.pass("run at once, not at the next poll a minute away");
  await app.close();
  const stopped = await enqueueJob(db!, { kind: "session-purge", payload: {} });
  app.jobs.wake();
  await sleep(200);
  t.equal((await jobById(db!, stopped))?.state, "queued", "after close, the worker is stopped");
});
