// The inventory page checks the session inside its own statement (plugins/auth.ts,
// sessionInStatement): after one full check, the next minute's pages take the session on
// trust only as far as that statement confirms it. Whatever changed since, written here
// straight to the database as another instance would, shows on the very next page.
import cookie from "@fastify/cookie";
import Fastify from "fastify";
import t from "tap";
import { createPrismaClient, hotPathQuery } from "../../src/db/prisma.js";
import { Prisma } from "../../src/generated/prisma/client.js";
import { tokenHash } from "../../src/modules/auth/auth.service.js";
import auth from "../../src/plugins/auth.js";
import { buildTestApp, createTestDatabase, html, htmx, statementsDuring, tableRows, text } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller, makeUser } from "../helpers/factories.js";

t.test("the inventory confirms the session in its own statement", async (t) => {
  const { db, signInAs } = await buildTestApp(t);
  const north = await makeReseller(db, "North Reseller");
  const south = await makeReseller(db, "South Reseller");
  await makeDids(db, (await makeOperator(db, { resellerId: north.id, name: "North Op" })).id, ["380440000001", "380440000002"]);
  await makeDids(db, (await makeOperator(db, { resellerId: south.id, name: "South Op" })).id, ["380440000009"]);
  const numbersOn = (body: string) => tableRows(html(body)).map((row) => row.find((cell) => /^\d{12}$/.test(cell))).filter(Boolean);

  t.test("one statement per page once the session was checked", async (t) => {
    const user = await signInAs({ role: "admin", username: "counted" });
    t.equal((await user.inject({ url: "/dids" })).statusCode, 200);
    const { result: res, statements } = await statementsDuring(db, () => user.inject({ url: "/dids?id=1" }));
    const texts = statements.map((s) => s.text);
    t.equal(res.statusCode, 200);
    t.equal(texts.length, 1, "one query for the page");
    t.match(texts[0], /app_session/, "and it checks the session");
    t.notOk(
      texts.some((sql) => /^\s*SELECT s\.last_seen_at/.test(sql)),
      "no separate session lookup",
    );
  });

  t.test("a session ended elsewhere: the next page is the way to sign in", async (t) => {
    const user = await signInAs({ role: "admin", username: "ended" });
    t.equal((await user.inject({ url: "/dids" })).statusCode, 200);
    await db.session.deleteMany({ where: { user: { username: "ended" } } });
    const res = await user.inject({ url: "/dids?status=active" });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, "/signin?next=%2Fdids%3Fstatus%3Dactive");
    t.ok(res.cookies.some((c) => c.name === "did_session" && c.value === ""), "the cookie is cleared");
    t.notOk(res.body.includes("380440000001"), "no number on the way");
  });

  t.test("a session ended elsewhere: the next htmx search is sent to sign in", async (t) => {
    const user = await signInAs({ role: "admin", username: "ended-htmx" });
    t.equal((await user.inject({ url: "/dids" })).statusCode, 200);
    await db.session.deleteMany({ where: { user: { username: "ended-htmx" } } });
    const fragment = await user.inject({ url: "/dids?status=active", headers: htmx });
    t.equal(fragment.statusCode, 401, "with a full navigation");
    t.equal(fragment.headers["hx-redirect"], "/signin?next=%2Fdids%3Fstatus%3Dactive");
    t.equal(fragment.body, "", "and nothing of the page");
  });

  t.test("a session cut short elsewhere: the next page is the way to sign in", async (t) => {
    const user = await signInAs({ role: "admin", username: "cut-short" });
    t.equal((await user.inject({ url: "/dids" })).statusCode, 200);
    await db.session.updateMany({ where: { user: { username: "cut-short" } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await user.inject({ url: "/dids" });
    t.equal(res.statusCode, 303);
    t.match(res.headers.location, /^\/signin/);
  });

  t.test("a user disabled elsewhere: the next page is the way to sign in", async (t) => {
    const user = await signInAs({ role: "admin", username: "disabled" });
    t.equal((await user.inject({ url: "/dids" })).statusCode, 200);
    await db.user.update({ where: { username: "disabled" }, data: { disabled: true } });
    const res = await user.inject({ url: "/dids" });
    t.equal(res.statusCode, 303);
    t.match(res.headers.location, /^\/signin/);
    t.equal(await db.session.count({ where: { user: { username: "disabled" } } }), 0, "and the session is gone");
  });

  t.test("a role changed elsewhere shows on the next page", async (t) => {
    const user = await signInAs({ role: "admin", username: "demoted" });
    const before = html((await user.inject({ url: "/dids" })).body);
    t.ok(before.querySelector('a[href="/dids/new"]'), "an admin is offered New DIDs");
    await db.user.update({ where: { username: "demoted" }, data: { role: "support" } });
    const after = await user.inject({ url: "/dids" });
    t.equal(after.statusCode, 200);
    t.notOk(html(after.body).querySelector('a[href="/dids/new"]'), "support is not");
  });

  t.test("a reseller moved elsewhere sees the new reseller's numbers on the next page", async (t) => {
    const user = await signInAs({ role: "reseller", resellerId: north.id, username: "moved" });
    t.same(numbersOn((await user.inject({ url: "/dids" })).body), ["380440000001", "380440000002"]);
    await db.user.update({ where: { username: "moved" }, data: { resellerId: south.id } });
    const after = await user.inject({ url: "/dids" });
    t.same(numbersOn(after.body), ["380440000009"]);
    const operators = [...html(after.body).querySelectorAll('form[role="search"] select[name="operator"] option')].map((o) => text(o));
    t.ok(operators.some((o) => o.includes("South Op")), "the search offers the new reseller's operators");
    t.notOk(operators.some((o) => o.includes("North Op")), "and not the old one's");
  });

  t.test("a renamed user's page names them anew", async (t) => {
    const user = await signInAs({ role: "admin", username: "renamed" });
    t.equal((await user.inject({ url: "/dids" })).statusCode, 200);
    await db.user.update({ where: { username: "renamed" }, data: { username: "renamed-again" } });
    const after = await user.inject({ url: "/dids" });
    t.equal(after.statusCode, 200);
    t.match(after.body, /renamed-again/);
  });
});

// The guard, on a bare Fastify with only the cookie and auth plugins: a route marked
// sessionInStatement that never confirms its claim answers 500 and shows nothing it read.
// Its database outlives the subtest's pool (dropped at the end of the file).
const guardDatabase = await createTestDatabase(t);

t.test("a claim nobody confirmed is refused", async (t) => {
  const db = createPrismaClient(guardDatabase, 2);
  t.teardown(() => db.$disconnect());
  const user = await makeUser(db, { username: "guarded", role: "admin" });
  const token = "a-session-token-for-the-guard-test";
  await db.session.create({ data: { tokenHash: tokenHash(token), userId: user.id, lastSeenAt: new Date(), expiresAt: new Date(Date.now() + 3600_000) } });

  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(cookie);
  await app.register(auth, { db, policy: { idleMinutes: 30, absoluteHours: 8 } });
  const marked = { config: { sessionInStatement: true } };
  app.get("/forgets", marked, async () => "read on a claim");
  app.get("/confirms", marked, async (request, reply) =>
    request.readWithSession(reply, async (actor, confirm) => {
      const sql = Prisma.sql`SELECT ${confirm ?? Prisma.sql`true`} AS ok`;
      const [row] = await hotPathQuery<{ ok: boolean }>(db, sql.text, sql.values);
      return row!.ok ? `read as ${actor.username}` : undefined;
    }),
  );
  t.throws(() => app.post("/marked-post", marked, async () => "never"), /sessionInStatement is for GET routes/, "a marked POST route is refused at start-up");
  t.throws(() => app.get("/marked-admin", { config: { sessionInStatement: true, access: "admin" } }, async () => "never"), /sessionInStatement is for GET routes/);
  const get = (url: string) => app.inject({ url, cookies: { did_session: token } });

  t.equal((await get("/confirms")).body, "read as guarded", "the first request checks the session in full");
  t.equal((await get("/confirms")).body, "read as guarded", "the next confirms its claim in its own statement");
  const refused = await get("/forgets");
  t.equal(refused.statusCode, 500, "the next one claims it, and a route that never confirms it fails");
  t.notMatch(refused.body, /read on a claim/);
});
