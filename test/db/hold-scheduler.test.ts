// Two app instances on one database, each with its job worker, as the server runs them:
// the hold scheduler is one recurring job that either instance may run, and every
// expired hold is ended exactly once, as "system", whichever instance ran it.
import { randomUUID } from "node:crypto";
import t from "tap";
import { buildApp } from "../../src/app.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import { systemCaller } from "../../src/shared/actor.js";
import { ManualClock } from "../../src/shared/clock.js";
import { endExpiredHolds } from "../../src/modules/assignments/assignments.service.js";
import { deactivateEndedSubscriptions } from "../../src/modules/subscriptions/subscriptions.service.js";
import { buildTestApp } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator, makePackage, makeSubscription } from "../helpers/factories.js";

t.test("two instances, one scheduler's work, each hold ended once", async (t) => {
  const clock = new ManualClock(new Date("2026-11-27T10:00:00Z"));
  const { db, url, config } = await buildTestApp(t, { jobPollIntervalMs: 100 }, { clock });
  const op = await makeOperator(db);
  const account = await makeClientAccount(db, op.resellerId);
  const pkg = await makePackage(db, op.resellerId, { didLimit: 5000 });
  const subscription = await makeSubscription(db, account.clientId, pkg, { startDate: "2026-11-01" });
  const numbers = Array.from({ length: 3000 }, (_, i) => `38044${String(i).padStart(7, "0")}`);
  const dids = await makeDids(db, op.id, numbers, { status: "hold", clientAccountId: account.id, holdUntil: new Date("2026-11-20T00:00:00Z") });
  await db.did.updateMany({ where: { id: { in: dids.slice(0, 1000).map((d) => d.id) } }, data: { subscriptionId: subscription.id } });
  // One still on hold next week: left alone.
  const [later] = await makeDids(db, op.id, ["380449999999"], { status: "hold", clientAccountId: account.id, holdUntil: new Date("2026-12-04T00:00:00Z") });

  const instances = await Promise.all(
    [1, 2].map(async () => {
      const prisma = createPrismaClient(url, 4);
      const app = await buildApp({ ...config, jobPollIntervalMs: 100 }, prisma, { logger: false, runJobs: true, clock });
      await app.ready();
      return { app, prisma };
    }),
  );
  t.teardown(async () => {
    for (const { app, prisma } of instances) {
      await app.close();
      await prisma.$disconnect();
    }
  });

  for (let i = 0; i < 200 && (await db.did.count({ where: { status: "hold", holdUntil: { lte: clock.now() } } })) > 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(await db.did.count({ where: { id: { in: dids.map((d) => d.id) }, status: "in_stock", clientAccountId: null, subscriptionId: null } }), 3000, "every expired hold ended");
  t.match(await db.did.findUniqueOrThrow({ where: { id: later!.id } }), { status: "hold" }, "a hold not over yet stays");
  const events = await db.$queryRaw<{ n: number; distinct: number; system: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT object_id)::int AS distinct, count(*) FILTER (WHERE actor_name = 'system' AND actor_id IS NULL)::int AS system
    FROM audit_event WHERE action = 'hold_end'`;
  t.same(events[0], { n: 3000, distinct: 3000, system: 3000 }, "one event per DID, by the system");
  const jobs = await db.job.findMany({ where: { kind: "hold-scheduler" } });
  t.equal(jobs.filter((j) => j.state === "queued" || j.state === "running").length, 1, "one scheduler job across both instances, the next one queued");
});

t.test("a stop (the job's signal) ends the scheduler between its transactions, never inside one", async (t) => {
  const clock = new ManualClock(new Date("2026-11-27T10:00:00Z"));
  const { db } = await buildTestApp(t, {}, { clock });
  const op = await makeOperator(db);
  const account = await makeClientAccount(db, op.resellerId);
  const numbers = Array.from({ length: 250 }, (_, i) => `38045${String(i).padStart(7, "0")}`);
  await makeDids(db, op.id, numbers, { status: "hold", clientAccountId: account.id, holdUntil: new Date("2026-11-20T00:00:00Z") });
  const caller = systemCaller(randomUUID());
  const stopped = new AbortController();
  stopped.abort(new Error("the app is stopping"));
  await t.rejects(endExpiredHolds(db, caller, clock, 100, stopped.signal), /the app is stopping/);
  await t.rejects(deactivateEndedSubscriptions(db, caller, clock, stopped.signal), /the app is stopping/);
  t.equal(await db.did.count({ where: { status: "hold" } }), 250, "nothing begun after the stop");

  // Aborted while the first batch runs: that batch commits whole, the next never starts.
  const midway = new AbortController();
  const batches: number[] = [];
  const counting = new Proxy(db, {
    get(target, key, receiver) {
      if (key !== "$transaction") return Reflect.get(target, key, receiver);
      return async (...args: Parameters<typeof db.$transaction>) => {
        const result = await (target.$transaction as (...a: unknown[]) => Promise<unknown>)(...args);
        batches.push(Array.isArray(result) ? result.length : 0);
        midway.abort(new Error("the app is stopping"));
        return result;
      };
    },
  });
  await t.rejects(endExpiredHolds(counting, caller, clock, 100, midway.signal), /the app is stopping/);
  t.same(batches, [100], "one batch ran");
  t.equal(await db.did.count({ where: { status: "hold" } }), 150, "it stayed done: whole batches only");
});
