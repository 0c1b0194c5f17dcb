// The demo data: the shapes the README promises, and no second seeding by accident.
import t from "tap";
import { parseDidCount, seedDemoData } from "../../src/db/seed.js";
import { buildTestApp, html, tableRows } from "../helpers/app.js";

t.test("seeding a small inventory", async (t) => {
  const { db, url, admin } = await buildTestApp(t);
  const summary = await seedDemoData(url, { dids: 3000 });
  t.equal(summary.dids, 3000);
  t.equal(await db.did.count(), 3000);
  t.equal(await db.reseller.count(), 5);
  t.equal(await db.operator.count(), 50);
  t.ok((await db.client.count()) >= 10, "clients with accounts");
  t.equal(await db.did.count({ where: { status: { in: ["active", "blocked", "hold"] }, clientAccountId: null } }), 0, "assigned statuses have an account");
  t.equal(await db.did.count({ where: { status: { in: ["in_stock", "reserved", "archive"] }, clientAccountId: { not: null } } }), 0, "the others do not");
  t.equal(await db.did.count({ where: { status: "hold", holdUntil: null } }), 0, "hold DIDs know when the hold ends");
  t.equal(await db.did.count({ where: { status: { in: ["active", "blocked"] }, subscriptionId: null } }), 0, "DIDs in use are under a subscription");
  t.equal(await db.did.count({ where: { status: "hold", subscriptionId: { not: null } } }), 0, "held ones were released from it");
  t.equal(await db.subscription.count(), await db.client.count(), "every demo client is subscribed to its reseller's package");
  const lengths = await db.$queryRaw<{ len: number }[]>`SELECT DISTINCT length(number)::int AS len FROM did ORDER BY 1`;
  t.ok(lengths.length >= 2, `several number lengths: ${lengths.map((l) => l.len).join(", ")}`);
  t.ok((await db.did.count({ where: { tag: { not: null } } })) > 300, "tags");
  t.ok((await db.did.count({ where: { notes: { not: null } } })) > 100, "notes");
  const page = await admin.inject({ url: "/dids?status=active&sort=client" });
  t.equal(page.statusCode, 200);
  t.equal(tableRows(html(page.body)).length, 50);

  await t.rejects(seedDemoData(url, { dids: 10 }), { message: /already holds data.*--reset/ }, "refuses to seed over data");
  await seedDemoData(url, { dids: 100, reset: true });
  t.equal(await db.did.count(), 100, "--reset starts afresh");
});

t.test("--reset replaces the demo data and keeps users and sessions", async (t) => {
  const { db, url, admin, signInAs } = await buildTestApp(t);
  await seedDemoData(url, { dids: 500 });
  const atlantic = await db.reseller.findFirstOrThrow({ where: { name: "Atlantic Voice Wholesale" } });
  const ops = await signInAs({ role: "reseller", resellerId: atlantic.id, username: "ops" });
  const desk = await signInAs({ role: "support", resellerId: atlantic.id, username: "desk" });
  const usersBefore = await db.user.findMany({ orderBy: { id: "asc" }, select: { id: true, username: true, passwordHash: true, role: true } });
  const sessionsBefore = await db.session.count();

  const summary = await seedDemoData(url, { dids: 200, reset: true });
  t.equal(await db.did.count(), 200, "the demo data is new");
  t.same(await db.user.findMany({ orderBy: { id: "asc" }, select: { id: true, username: true, passwordHash: true, role: true } }), usersBefore, "every user is kept, passwords included");
  t.equal(await db.session.count(), sessionsBefore, "and every session");
  const newAtlantic = await db.reseller.findFirstOrThrow({ where: { name: "Atlantic Voice Wholesale" } });
  t.equal(newAtlantic.id, atlantic.id, "the reseller they are bound to is kept");
  t.same((await db.user.findMany({ where: { username: { in: ["ops", "desk"] } } })).map((u) => u.resellerId), [atlantic.id, atlantic.id]);
  t.same(summary.keptUsers, [{ username: "desk", reseller: "Atlantic Voice Wholesale" }, { username: "ops", reseller: "Atlantic Voice Wholesale" }]);
  t.equal(await db.reseller.count(), 5, "the other resellers are new, none twice");

  t.equal((await admin.inject({ url: "/dids" })).statusCode, 200, "the admin is still signed in");
  const seen = html((await ops.inject({ url: "/dids?per=500" })).body);
  t.equal((await ops.inject({ url: "/dids" })).statusCode, 200, "so is the reseller's user");
  const ownOperators = new Set((await db.operator.findMany({ where: { resellerId: newAtlantic.id } })).map((o) => o.name));
  t.ok(tableRows(seen).length > 0 && tableRows(seen).every((row) => ownOperators.has(row[2]!)), "who sees only the new reseller's DIDs");
  t.equal((await desk.inject({ url: "/dids" })).statusCode, 200);
});

t.test("--reset refuses, changing nothing, when a user is bound to a reseller the demo data lacks", async (t) => {
  const { db, url, signInAs } = await buildTestApp(t);
  await seedDemoData(url, { dids: 100 });
  const own = await db.reseller.create({ data: { name: "Acme Telecom" } });
  await signInAs({ role: "reseller", resellerId: own.id, username: "acme-ops" });
  const dids = await db.did.count();
  await t.rejects(seedDemoData(url, { dids: 50, reset: true }), { message: /bound to: acme-ops \(Acme Telecom\).*Users page.*Nothing was changed/ });
  t.equal(await db.did.count(), dids, "the DIDs are untouched");
  t.equal((await db.user.findFirstOrThrow({ where: { username: "acme-ops" } })).resellerId, own.id, "the user is untouched");
  t.ok(await db.reseller.findUnique({ where: { id: own.id } }), "and the reseller");
});

t.test("the --dids argument", async (t) => {
  t.equal(parseDidCount("100000"), 100_000);
  t.equal(parseDidCount("1_000_000"), 1_000_000);
  t.throws(() => parseDidCount("lots"), /whole number/);
  t.equal(parseDidCount("10000000"), 10_000_000, "ten million, for the bench");
  t.throws(() => parseDidCount("0"), /from 1 to 20,000,000/);
  t.throws(() => parseDidCount("20000001"), /from 1 to 20,000,000/);
});
