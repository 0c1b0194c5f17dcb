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

t.test("the --dids argument", async (t) => {
  t.equal(parseDidCount("100000"), 100_000);
  t.equal(parseDidCount("1_000_000"), 1_000_000);
  t.throws(() => parseDidCount("lots"), /whole number/);
  t.throws(() => parseDidCount("0"), /from 1 to 5,000,000/);
  t.throws(() => parseDidCount("6000000"), /from 1 to 5,000,000/);
});
