// Security headers on every page, and one structured log line per request that never
// carries a password, a token or a session id.
import { Writable } from "node:stream";
import t from "tap";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import { buildTestApp, createTestDatabase, form, html, signIn, testPassword } from "../helpers/app.js";
import { hashPassword } from "../../src/modules/auth/passwords.js";

t.test("headers", async (t) => {
  const { app, admin } = await buildTestApp(t);
  for (const [who, res] of [["signed out", await app.inject({ url: "/signin" })], ["signed in", await admin.inject({ url: "/dids" })]] as const) {
    const csp = String(res.headers["content-security-policy"]);
    t.match(csp, /script-src 'self'/, `${who}: scripts from our origin only`);
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, `${who}: no inline script, no eval`);
    t.match(csp, /frame-ancestors 'none'/);
    t.equal(res.headers["x-content-type-options"], "nosniff");
    t.ok(res.headers["referrer-policy"]);
    t.notOk(html(res.body).querySelector("script:not([src]), [style], [onclick], [onload]"), `${who}: no inline script or style in the page`);
  }
});

t.test("the request log", async (t) => {
  const url = await createTestDatabase(t);
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const db = createPrismaClient(url, 2);
  const app = await buildApp({ ...loadConfig({}), databaseUrl: url }, db, { logger: { level: "info", stream } });
  t.teardown(async () => {
    await app.close();
    await db.$disconnect();
  });
  await db.user.create({ data: { username: "logged", passwordHash: await hashPassword(testPassword), role: "admin" } });
  const user = await signIn(app, "logged");
  await user.inject({ url: "/dids?contains=555" });
  await user.inject({ method: "POST", url: "/account/password", ...form({ current: testPassword, password: "new secret value 1", repeat: "new secret value 1" }) });

  const requests = lines.filter((l) => l.msg === "request");
  const search = requests.find((l) => l.path === "/dids" && l.method === "GET")!;
  t.match(search, { user: "logged", method: "GET", path: "/dids", status: 200 });
  t.type(search.reqId, "string");
  t.type(search.durationMs, "number");
  const changed = requests.find((l) => l.path === "/account/password" && l.method === "POST")!;
  t.match(changed, { user: "logged", status: 303 });
  // A support desk follows a complaint from the log line to the audit log by its request id.
  const event = await db.auditEvent.findFirstOrThrow({ where: { action: "password_change" } });
  t.equal(event.requestId, changed.reqId, "the audit event carries the request id of the log line");
  const trail = await user.inject({ url: `/audit?request=${String(changed.reqId)}` });
  t.equal(trail.statusCode, 200);
  t.match(trail.body, /password/i, "and the audit log finds the change by it");
  const all = JSON.stringify(lines);
  for (const secret of [testPassword, "new secret value 1", /did_session=/, user.csrfToken, user.cookies.split("=")[1]!.split(";")[0]!]) {
    t.notMatch(all, secret, `the log never holds ${String(secret).slice(0, 12)}…`);
  }
});
