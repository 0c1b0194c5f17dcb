// The lifecycle of an assigned DID against the real database: assignment under a
// subscription, the package's limit and tags, release, deactivation and reactivation,
// the hold scheduler; and the races the issue names, run with real concurrent
// transactions: one DID to fifty accounts, fifty DIDs under a limit of ten, deactivation
// against assignment, two schedulers at once.
import { randomUUID } from "node:crypto";
import t from "tap";
import { createPrismaClient } from "../../src/db/prisma.js";
import { assignDids, changeClientDid, endExpiredHolds } from "../../src/modules/assignments/assignments.service.js";
import { deactivateEndedSubscriptions, deactivateSubscription, reactivateSubscription } from "../../src/modules/subscriptions/subscriptions.service.js";
import { actorFor, callerOf, systemCaller } from "../../src/shared/actor.js";
import { ManualClock } from "../../src/shared/clock.js";
import { buildTestApp } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator, makePackage, makeReseller, makeSubscription } from "../helpers/factories.js";

t.test("assigning DIDs and their hold lifecycle", async (t) => {
  const clock = new ManualClock();
  const { db, url } = await buildTestApp(t, {}, { clock });
  const acme = await makeReseller(db, "Acme");
  const other = await makeReseller(db, "Other");
  const op = await makeOperator(db, { resellerId: acme.id });
  const foreignOp = await makeOperator(db, { resellerId: other.id });
  const admin = await db.user.findFirstOrThrow({ where: { username: "admin" } });
  const writer = () => callerOf(actorFor({ ...admin, resellerId: null }), randomUUID());
  let numberSeq = 0;
  const dids = async (count: number, extra: Parameters<typeof makeDids>[3] = {}, operatorId = op.id) =>
    makeDids(db, operatorId, Array.from({ length: count }, () => `38044${String(++numberSeq).padStart(7, "0")}`), extra);
  const customer = async (pkgOptions: Parameters<typeof makePackage>[2] = {}) => {
    const account = await makeClientAccount(db, acme.id);
    const pkg = await makePackage(db, acme.id, pkgOptions);
    const subscription = await makeSubscription(db, account.clientId, pkg);
    return { account, pkg, subscription, clientId: account.clientId };
  };
  const assign = (c: Awaited<ReturnType<typeof customer>>, didIds: number[], extra: { range?: { low: string; high: string }; accountId?: number } = {}) =>
    assignDids(db, writer(), { clientId: c.clientId, accountId: extra.accountId ?? c.account.id, subscriptionId: c.subscription.id, didIds, range: extra.range }, clock);
  const did = (id: number) => db.did.findUniqueOrThrow({ where: { id } });

  t.test("assigned DIDs are active and remember account and subscription; each has an event", async (t) => {
    const c = await customer();
    const picked = await dids(3);
    const outcome = await assign(c, picked.map((d) => d.id));
    t.equal(outcome.kind, "assigned");
    for (const d of picked) t.match(await did(d.id), { status: "active", clientAccountId: c.account.id, subscriptionId: c.subscription.id });
    const events = await db.auditEvent.findMany({ where: { action: "assign", objectId: { in: picked.map((d) => d.id) } } });
    t.equal(events.length, 3);
    t.match(events[0]!.changes, { status: ["in_stock", "active"], client: [null, `${c.account.client.name} / ${c.account.name}`], package: [null, c.pkg.name] });
  });

  t.test("bad picks: nothing is written, and each is named", async (t) => {
    const c = await customer({ didLimit: 5, allowedTags: ["gold"] });
    const [gold] = await dids(1, { tag: "gold" });
    const [plain] = await dids(1);
    const [reserved] = await dids(1, { status: "reserved", tag: "gold" });
    const [foreign] = await dids(1, { tag: "gold" }, foreignOp.id);
    const outcome = await assign(c, [gold!.id, plain!.id, reserved!.id, foreign!.id]);
    t.equal(outcome.kind, "refused");
    if (outcome.kind === "refused") {
      t.same(outcome.refusals.map((r) => r.code).sort(), ["not-in-stock", "other-reseller", "tag-not-allowed"]);
    }
    t.equal((await did(gold!.id)).status, "in_stock", "the good one was not assigned either");

    const six = await dids(6, { tag: "gold" });
    const over = await assign(c, six.map((d) => d.id));
    t.match(over, { kind: "over-limit", left: 5, limit: 5, requested: 6 });

    const otherClient = await customer();
    t.match(await assign(c, [gold!.id], { accountId: otherClient.account.id }), { kind: "invalid", errors: { account: /this client's accounts/ } });

    const ended = await makeSubscription(db, c.clientId, c.pkg, { startDate: "2020-01-01", endDate: "2020-12-31" });
    t.match(await assignDids(db, writer(), { clientId: c.clientId, accountId: c.account.id, subscriptionId: ended.id, didIds: [gold!.id] }, clock), { kind: "invalid", errors: { subscription: /not in force/ } });

    // A reseller's user cannot reach another reseller's client, nor pick its DIDs.
    const seller = callerOf(actorFor({ id: admin.id, username: "seller", role: "reseller", resellerId: other.id }), randomUUID());
    t.equal((await assignDids(db, seller, { clientId: c.clientId, accountId: c.account.id, subscriptionId: c.subscription.id, didIds: [gold!.id] }, clock)).kind, "not-found");
    t.equal(await db.auditEvent.count({ where: { action: "assign", objectId: gold!.id } }), 0);
  });

  t.test("a range picks every pickable DID in it, within what the package allows", async (t) => {
    const c = await customer({ didLimit: 3 });
    const block = await dids(5);
    await db.did.update({ where: { id: block[1]!.id }, data: { status: "reserved" } });
    const tooMany = await assign(c, [], { range: { low: block[0]!.number, high: block[4]!.number } });
    t.match(tooMany, { kind: "over-limit", requested: 4, left: 3 });
    const fits = await assign(c, [], { range: { low: block[0]!.number, high: block[3]!.number } });
    t.equal(fits.kind, "assigned");
    if (fits.kind === "assigned") t.same(fits.dids.map((d) => d.number), [block[0]!.number, block[2]!.number, block[3]!.number]);
  });

  t.test("a range picks at most 10,000 DIDs at once", async (t) => {
    const c = await customer({ didLimit: 20_000 });
    const block = await dids(10_001);
    const outcome = await assign(c, [], { range: { low: block[0]!.number, high: block.at(-1)!.number } });
    t.match(outcome, { kind: "invalid", errors: { range: /more than 10,000 DIDs/ } });
    t.equal(await db.did.count({ where: { subscriptionId: c.subscription.id } }), 0);
    await db.did.deleteMany({ where: { id: { in: block.map((d) => d.id) } } });
  });

  t.test("block, unblock, move and release", async (t) => {
    const c = await customer({ defaultHoldDays: 30 });
    const second = await db.clientAccount.create({ data: { name: "Second", clientId: c.clientId, resellerId: acme.id } });
    const [a, b, z] = await dids(3);
    await db.did.update({ where: { id: b!.id }, data: { holdDays: 7 } });
    await db.did.update({ where: { id: z!.id }, data: { afterHoldStatus: "reserved" } });
    await db.package.update({ where: { id: c.pkg.id }, data: { defaultHoldDays: 30 } });
    t.equal((await assign(c, [a!.id, b!.id, z!.id])).kind, "assigned");
    const act = (didId: number, action: "block" | "unblock" | "release" | "move", accountId?: number) => changeClientDid(db, writer(), { clientId: c.clientId, didId, action, accountId }, clock);
    t.equal((await act(a!.id, "block")).kind, "done");
    t.equal((await did(a!.id)).status, "blocked");
    t.match(await act(a!.id, "block"), { kind: "refused", message: /not active/ });
    t.equal((await act(a!.id, "unblock")).kind, "done");
    t.equal((await act(a!.id, "move", second.id)).kind, "done");
    t.equal((await did(a!.id)).clientAccountId, second.id);
    t.match(await act(a!.id, "move", second.id), { kind: "invalid" });

    const now = clock.now().getTime();
    t.equal((await act(a!.id, "release")).kind, "done");
    t.match(await did(a!.id), { status: "hold", clientAccountId: second.id, subscriptionId: null }, "released: on hold for the package's 30 days, out of the subscription");
    t.equal((await did(a!.id)).holdUntil!.getTime(), now + 30 * 86_400_000);
    t.equal((await act(b!.id, "release")).kind, "done");
    t.equal((await did(b!.id)).holdUntil!.getTime(), now + 7 * 86_400_000, "the DID's own hold days come first");
    t.match(await act(b!.id, "release"), { kind: "refused", message: /on hold/ });

    await db.package.update({ where: { id: c.pkg.id }, data: { defaultHoldDays: 0 } });
    t.equal((await act(z!.id, "release")).kind, "done");
    t.match(await did(z!.id), { status: "reserved", clientAccountId: null, subscriptionId: null, holdUntil: null }, "no hold days: straight to its after-hold status");
  });

  t.test("deactivation holds, reactivation returns, and the scheduler ends holds as system", async (t) => {
    const c = await customer({ defaultHoldDays: 10 });
    const picked = await dids(3);
    await db.did.update({ where: { id: picked[2]!.id }, data: { afterHoldStatus: "archive" } });
    t.equal((await assign(c, picked.map((d) => d.id))).kind, "assigned");
    t.match(await deactivateSubscription(db, writer(), c.subscription.id, clock), { kind: "done", dids: { length: 3 } });
    for (const d of picked) t.match(await did(d.id), { status: "hold", subscriptionId: c.subscription.id });
    t.match(await assign(c, (await dids(1)).map((d) => d.id)), { kind: "invalid", errors: { subscription: /not in force/ } }, "nothing can be picked under an inactive subscription");

    clock.advanceDays(3);
    t.match(await reactivateSubscription(db, writer(), c.subscription.id, clock), { kind: "done", dids: { length: 3 } });
    for (const d of picked) t.match(await did(d.id), { status: "active", holdUntil: null });

    await deactivateSubscription(db, writer(), c.subscription.id, clock);
    clock.advanceDays(9);
    await endExpiredHolds(db, systemCaller(randomUUID()), clock);
    t.equal((await did(picked[0]!.id)).status, "hold", "nothing ends before its hold");
    clock.advanceDays(2);
    t.ok((await endExpiredHolds(db, systemCaller(randomUUID()), clock)) >= 3);
    t.match(await did(picked[0]!.id), { status: "in_stock", clientAccountId: null, subscriptionId: null, holdUntil: null, assignedAt: null });
    t.equal((await did(picked[2]!.id)).status, "archive");
    const ends = await db.auditEvent.findMany({ where: { action: "hold_end", objectId: { in: picked.map((d) => d.id) } } });
    t.equal(ends.length, 3);
    t.ok(ends.every((e) => e.actorName === "system" && e.actorId === null));
    t.match(await reactivateSubscription(db, writer(), c.subscription.id, clock), { kind: "done", dids: { length: 0 } }, "a late reactivation brings nothing back");
  });

  t.test("a subscription past its end day is deactivated by the scheduler", async (t) => {
    const account = await makeClientAccount(db, acme.id);
    const pkg = await makePackage(db, acme.id, { defaultHoldDays: 5 });
    const today = clock.now().toISOString().slice(0, 10);
    const subscription = await makeSubscription(db, account.clientId, pkg, { endDate: today });
    const [d] = await dids(1);
    t.equal((await assignDids(db, writer(), { clientId: account.clientId, accountId: account.id, subscriptionId: subscription.id, didIds: [d!.id] }, clock)).kind, "assigned");
    await deactivateEndedSubscriptions(db, systemCaller(randomUUID()), clock);
    t.equal((await db.subscription.findUniqueOrThrow({ where: { id: subscription.id } })).active, true, "in force through its end day");
    clock.advanceDays(1);
    t.match(await deactivateEndedSubscriptions(db, systemCaller(randomUUID()), clock), { subscriptions: 1, dids: 1 });
    t.match(await did(d!.id), { status: "hold" });
    t.equal((await db.subscription.findUniqueOrThrow({ where: { id: subscription.id } })).active, false);
  });

  t.test("the database refuses an account of another reseller, whatever the code does", async (t) => {
    const foreignAccount = await makeClientAccount(db, other.id);
    const [d] = await dids(1);
    await t.rejects(db.did.update({ where: { id: d!.id }, data: { status: "active", clientAccountId: foreignAccount.id } }), /another reseller/);
    await t.rejects(db.did.update({ where: { id: d!.id }, data: { status: "active" } }), /did_assignment_status_check/, "active needs an account");
    await t.rejects(db.operator.update({ where: { id: op.id }, data: { resellerId: other.id } }), /assigned to accounts/, "an operator with assigned DIDs cannot change reseller");
  });

  t.test("races", async (t) => {
    t.test("one DID, fifty accounts at once: exactly one wins", async (t) => {
      const customers = await Promise.all(Array.from({ length: 50 }, () => customer()));
      const [contested] = await dids(1);
      const outcomes = await Promise.all(customers.map((c) => assign(c, [contested!.id])));
      t.equal(outcomes.filter((o) => o.kind === "assigned").length, 1);
      t.equal(outcomes.filter((o) => o.kind === "refused" && o.refusals[0]!.code === "taken").length, 49, "the others hear it is taken");
      t.equal(await db.auditEvent.count({ where: { action: "assign", objectId: contested!.id } }), 1);
    });

    t.test("fifty assignments under a limit of ten: exactly ten", async (t) => {
      const c = await customer({ didLimit: 10 });
      const fifty = await dids(50);
      const outcomes = await Promise.all(fifty.map((d) => assign(c, [d.id])));
      t.equal(outcomes.filter((o) => o.kind === "assigned").length, 10);
      t.equal(outcomes.filter((o) => o.kind === "over-limit").length, 40);
      t.equal(await db.did.count({ where: { subscriptionId: c.subscription.id } }), 10);
    });

    t.test("deactivation against assignment: no DID active under an inactive subscription", async (t) => {
      for (let round = 0; round < 5; round++) {
        const c = await customer({ didLimit: 100, defaultHoldDays: 5 });
        const batch = await dids(20);
        await Promise.all([
          ...batch.slice(0, 10).map((d) => assign(c, [d.id])),
          deactivateSubscription(db, writer(), c.subscription.id, clock),
          ...batch.slice(10).map((d) => assign(c, [d.id])),
        ]);
        const wrong = await db.did.count({ where: { subscriptionId: c.subscription.id, status: { in: ["active", "blocked"] } } });
        t.equal(wrong, 0, `round ${round}`);
      }
    });

    t.test("two schedulers at once end every expired hold exactly once", async (t) => {
      const c = await customer({ didLimit: 2000, defaultHoldDays: 1 });
      const many = await dids(1500);
      t.equal((await assign(c, many.map((d) => d.id))).kind, "assigned");
      await deactivateSubscription(db, writer(), c.subscription.id, clock);
      clock.advanceDays(2);
      // A second instance: its own connection pool to the same database.
      const second = createPrismaClient(url, 4);
      t.teardown(() => second.$disconnect());
      const [one, two] = await Promise.all([
        endExpiredHolds(db, systemCaller(randomUUID()), clock, 100),
        endExpiredHolds(second, systemCaller(randomUUID()), clock, 100),
      ]);
      t.equal(one + two, 1500, `each expired hold once (${one} + ${two})`);
      t.ok(one > 0 && two > 0, "both took part");
      const events = await db.$queryRaw<{ n: number; distinct: number }[]>`
        SELECT count(*)::int AS n, count(DISTINCT object_id)::int AS distinct FROM audit_event WHERE action = 'hold_end' AND object_id = ANY(${many.map((d) => d.id)}::int[])`;
      t.same(events[0], { n: 1500, distinct: 1500 });
      t.equal(await db.did.count({ where: { id: { in: many.map((d) => d.id) }, status: "in_stock", clientAccountId: null } }), 1500);
    });
  });
});
