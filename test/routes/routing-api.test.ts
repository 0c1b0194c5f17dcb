// The routing API as a switch uses it: JSON in and out, a bearer token, every answer the
// issue names, every refusal, and the OpenAPI document that describes it.
import http from "node:http";
import t, { type Test } from "tap";
import { Validator } from "@seriousme/openapi-schema-validator";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import { buildTestApp, form } from "../helpers/app.js";
import { makeApiToken, makeClientAccount, makeDids, makeOperator, makePackage, makeReseller, makeSubscription } from "../helpers/factories.js";
import { listRoutes } from "../helpers/routes.js";

t.test("routing API", async (t) => {
  // A default limit high enough for the batches below; the limit has its own test.
  const { app, db, admin, url } = await buildTestApp(t, { apiRateLimit: 100_000 });
  const a = await makeReseller(db, "Reseller A");
  const b = await makeReseller(db, "Reseller B");
  const opA = await makeOperator(db, { name: "Operator A", resellerId: a.id });
  const opB = await makeOperator(db, { name: "Operator B", resellerId: b.id });
  const account = await makeClientAccount(db, a.id, { client: "Acme Ltd", account: "main" });
  const pkg = await makePackage(db, a.id, { name: "Gold", defaultHoldDays: 30 });
  const subscription = await makeSubscription(db, account.clientId, pkg);
  const assigned = { clientAccountId: account.id };
  const [active] = await makeDids(db, opA.id, ["380441000001"], { status: "active", ...assigned });
  await db.did.update({ where: { id: active!.id }, data: { subscriptionId: subscription.id } });
  await makeDids(db, opA.id, ["380441000002"], { status: "blocked", ...assigned });
  await makeDids(db, opA.id, ["380441000003"], { status: "in_stock" });
  await makeDids(db, opA.id, ["380441000004"], { status: "reserved" });
  await makeDids(db, opA.id, ["380441000005"], { status: "archive" });
  await makeDids(db, opA.id, ["380441000006"], { status: "active", ...assigned });
  await makeDids(db, opB.id, ["15551000001"], { status: "in_stock" });
  const everyReseller = await makeApiToken(db, { name: "core switch" });
  const resellerA = await makeApiToken(db, { name: "A's switch", resellerId: a.id });
  const revoked = await makeApiToken(db, { revoked: true });
  const bound = await makeApiToken(db, { allowedNetworks: ["10.0.0.0/8", "2001:db8::/32"] });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const lookup = (number: string, token = everyReseller.token, extra: { remoteAddress?: string } = {}) =>
    app.inject({ url: `/api/v1/route/${number}`, headers: bearer(token), ...extra });
  const batch = (payload: unknown, token = everyReseller.token) =>
    app.inject({ method: "POST", url: "/api/v1/route", headers: { ...bearer(token), "content-type": "application/json" }, payload: JSON.stringify(payload) });
  const isJson = (t: Test, res: { headers: Record<string, unknown> }, what: string) => t.match(String(res.headers["content-type"]), /^application\/json/, `${what}: JSON`);

  t.test("an active number: 200 with whom it belongs to", async (t) => {
    for (const asked of ["380441000001", "+380441000001", "%2B380441000001"]) {
      const res = await lookup(asked);
      t.equal(res.statusCode, 200, asked);
      isJson(t, res, asked);
      t.same(res.json(), {
        number: "380441000001",
        reachable: true,
        status: "active",
        operator: { id: opA.id, name: "Operator A" },
        reseller: { id: a.id, name: "Reseller A" },
        client: { id: account.clientId, name: "Acme Ltd" },
        account: { id: account.id, name: "main" },
        package: { id: pkg.id, name: "Gold" },
      });
    }
    const outside = await lookup("380441000006");
    t.equal(outside.statusCode, 200, "an active DID assigned outside a subscription may be routed");
    t.equal(outside.json().package, null);
  });

  t.test("every other number: 404 with its status", async (t) => {
    const expected: Record<string, string | null> = { "380441000002": "blocked", "380441000003": "in_stock", "380441000004": "reserved", "380441000005": "archive", "380449999999": null };
    for (const [number, status] of Object.entries(expected)) {
      const res = await lookup(number);
      t.equal(res.statusCode, 404, number);
      isJson(t, res, number);
      t.same(res.json(), { number, reachable: false, status, reason: status === null ? "not-in-inventory" : "not-active" }, number);
    }
  });

  t.test("anything that is not a number: 400 in JSON", async (t) => {
    for (const asked of ["abc", "555-0100", "12", "1".repeat(21), "%2B", "380 44 100 0001", "++380441000001", "380441000001x", "%00"]) {
      const res = await lookup(asked);
      t.equal(res.statusCode, 400, asked);
      isJson(t, res, asked);
      t.match(res.json(), { statusCode: 400, error: "Bad Request", message: /is not a number/ }, asked);
    }
  });

  t.test("tokens", async (t) => {
    const noToken = await app.inject({ url: "/api/v1/route/380441000001" });
    t.equal(noToken.statusCode, 401);
    isJson(t, noToken, "no token");
    t.equal(noToken.headers["www-authenticate"], 'Bearer realm="did-inventory"');
    t.match(noToken.json().message, /Authorization: Bearer/);

    for (const header of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer abc", `Bearer ${everyReseller.token}x`, `Token ${everyReseller.token}`, `Bearer ${everyReseller.token} extra`]) {
      const res = await app.inject({ url: "/api/v1/route/380441000001", headers: { authorization: header } });
      t.equal(res.statusCode, 401, `malformed: ${header.slice(0, 20)}`);
      t.match(String(res.headers["www-authenticate"]), /error="invalid_token"/);
    }
    t.equal((await app.inject({ url: "/api/v1/route/380441000001", headers: { authorization: `bearer ${everyReseller.token}` } })).statusCode, 200, "the scheme's case does not matter");

    const unknown = await lookup("380441000001", `didtok_${"A".repeat(43)}`);
    t.equal(unknown.statusCode, 401, "well formed but unknown");
    t.match(unknown.json().message, /unknown or has been revoked/);
    const gone = await lookup("380441000001", revoked.token);
    t.equal(gone.statusCode, 401, "a revoked token");
    t.match(gone.json().message, /unknown or has been revoked/);

    for (const query of [`token=${everyReseller.token}`, `access_token=${everyReseller.token}`, `api_key=x`, `x=${everyReseller.token}`, `x=${everyReseller.token.replace("_", "%5F")}`]) {
      const res = await app.inject({ url: `/api/v1/route/380441000001?${query}`, headers: bearer(everyReseller.token) });
      t.equal(res.statusCode, 400, `a token in the query string is refused (${query.slice(0, 12)})`);
      t.match(res.json().message, /never in the address/);
    }
  });

  t.test("a reseller's token sees only its reseller's numbers", async (t) => {
    const own = await lookup("380441000001", resellerA.token);
    t.equal(own.statusCode, 200);
    const other = await lookup("15551000001", resellerA.token);
    t.equal(other.statusCode, 404, "another reseller's number reads as absent");
    t.same(other.json(), { number: "15551000001", reachable: false, status: null, reason: "not-in-inventory" });
    t.same(await batch({ numbers: ["15551000001", "380441000003"] }, resellerA.token).then((r) => r.json().map((a: { status: unknown }) => a.status)), [null, "in_stock"], "in a batch too");
    t.equal((await lookup("15551000001")).json().status, "in_stock", "the all-resellers token sees it");
  });

  t.test("a token bound to networks", async (t) => {
    t.equal((await lookup("380441000001", bound.token, { remoteAddress: "10.20.30.40" })).statusCode, 200, "from an allowed IPv4 network");
    t.equal((await lookup("380441000001", bound.token, { remoteAddress: "2001:db8::5" })).statusCode, 200, "from an allowed IPv6 network");
    t.equal((await lookup("380441000001", bound.token, { remoteAddress: "::ffff:10.1.1.1" })).statusCode, 200, "an IPv4-mapped address counts as IPv4");
    const refused = await lookup("380441000001", bound.token, { remoteAddress: "192.0.2.7" });
    t.equal(refused.statusCode, 403);
    isJson(t, refused, "403");
    t.match(refused.json(), { statusCode: 403, error: "Forbidden", message: /192\.0\.2\.7/ });
  });

  t.test("the per-token rate limit", async (t) => {
    const limited = await makeApiToken(db, { rateLimit: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await lookup("380441000003", limited.token)).statusCode);
    t.same(statuses.slice(0, 4), [404, 404, 404, 429], "the fourth lookup in the second is refused");
    t.same(statuses.slice(4), [429, 429]);
    const over = await lookup("380441000003", limited.token);
    t.equal(over.statusCode, 429);
    isJson(t, over, "429");
    t.ok(Number(over.headers["retry-after"]) >= 1, "with Retry-After in seconds");
    t.match(over.json().message, /over its lookups per second/);
    const other = await lookup("380441000003");
    t.equal(other.statusCode, 404, "other tokens are not affected");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const big = await batch({ numbers: ["380441000001", "380441000002", "380441000003"] }, limited.token);
    t.equal(big.statusCode, 200, "a second later it answers again: a batch as large as the limit passes in an idle second");
    t.equal((await lookup("380441000003", limited.token)).statusCode, 429, "and spends the second");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const tooBig = await batch({ numbers: ["380441000001", "380441000002", "380441000003", "380441000004"] }, limited.token);
    t.equal(tooBig.statusCode, 429, "a batch larger than the limit never passes: each number counts");
    t.match(tooBig.json().message, /split it/);
  });

  t.test("the batch form", async (t) => {
    const res = await batch({ numbers: ["+380441000001", "380441000002", "380449999999", "380441000001", "15551000001"] });
    t.equal(res.statusCode, 200);
    isJson(t, res, "batch");
    const answers = res.json();
    t.same(
      answers.map((a: { number: string; reachable: boolean; status: string | null }) => [a.number, a.reachable, a.status]),
      [
        ["380441000001", true, "active"],
        ["380441000002", false, "blocked"],
        ["380449999999", false, null],
        ["380441000001", true, "active"],
        ["15551000001", false, "in_stock"],
      ],
      "the input's order, repeats answered each time",
    );
    t.same(answers[0], (await lookup("380441000001")).json(), "the same answer as the single lookup");
    t.same(answers[1], (await lookup("380441000002")).json());

    const thousand = Array.from({ length: 1000 }, (_, i) => String(380442000000 + i));
    const full = await batch({ numbers: thousand });
    t.equal(full.statusCode, 200, "1,000 numbers");
    t.equal(full.json().length, 1000);

    const bad: [unknown, RegExp][] = [
      [{ numbers: [...thousand, "380441000001"] }, /At most 1,000 numbers in one request \(this one has 1,001\)/],
      [{ numbers: [] }, /empty/],
      [{}, /"numbers" array/],
      [["380441000001"], /"numbers" array/],
      [{ numbers: "380441000001" }, /"numbers" array/],
      [{ numbers: [380441000001] }, /numbers\[0\]: a number is not a number/],
      [{ numbers: ["380441000001", "abc", null] }, /numbers\[1\]: "abc" is not a number.*numbers\[2\]: a null/],
      [{ numbers: ["380441000001"], token: "x" }, /Unknown field "token"/],
    ];
    for (const [payload, message] of bad) {
      const answer = await batch(payload);
      t.equal(answer.statusCode, 400, JSON.stringify(payload).slice(0, 40));
      isJson(t, answer, "400");
      t.match(answer.json().message, message);
    }
    const broken = await app.inject({ method: "POST", url: "/api/v1/route", headers: { ...bearer(everyReseller.token), "content-type": "application/json" }, payload: '{"numbers": [' });
    t.equal(broken.statusCode, 400, "malformed JSON");
    isJson(t, broken, "malformed JSON");
    const formBody = await app.inject({ method: "POST", url: "/api/v1/route", headers: { ...bearer(everyReseller.token), "content-type": "application/x-www-form-urlencoded" }, payload: "numbers=380441000001" });
    t.equal(formBody.statusCode, 415, "a form body");
    isJson(t, formBody, "415");
    const huge = await app.inject({ method: "POST", url: "/api/v1/route", headers: { ...bearer(everyReseller.token), "content-type": "application/json" }, payload: JSON.stringify({ numbers: ["1".repeat(100_000)] }) });
    t.equal(huge.statusCode, 413, "a body over 64 KB");
    isJson(t, huge, "413");
    t.equal((await batch({ numbers: ["380441000001"] }, revoked.token)).statusCode, 401, "a revoked token");
    t.equal((await app.inject({ method: "POST", url: "/api/v1/route", headers: { "content-type": "application/json" }, payload: '{"numbers":["380441000001"]}' })).statusCode, 401, "no token");
  });

  t.test("no session, no CSRF, no HTML", async (t) => {
    const withSession = await admin.inject({ url: "/api/v1/route/380441000001" });
    t.equal(withSession.statusCode, 401, "a signed-in browser's cookie is not a credential");
    t.notOk(withSession.headers["set-cookie"], "and the API sets no cookie");
    const posted = await app.inject({ method: "POST", url: "/api/v1/route", headers: { ...bearer(everyReseller.token), "content-type": "application/json", cookie: admin.cookies }, payload: '{"numbers":["380441000001"]}' });
    t.equal(posted.statusCode, 200, "a POST needs no CSRF token");
    t.notOk(posted.headers["set-cookie"]);
    for (const url of ["/api/v2/route/380441000001", "/api/v1/route", "/api", "/api/"]) {
      const res = await app.inject({ url, headers: bearer(everyReseller.token) });
      t.equal(res.statusCode, 404, url);
      isJson(t, res, url);
      t.match(res.json().message, /openapi\.json/);
    }
    const wrongMethod = await app.inject({ method: "DELETE", url: "/api/v1/route/380441000001", headers: bearer(everyReseller.token) });
    t.equal(wrongMethod.statusCode, 404);
    isJson(t, wrongMethod, "DELETE");
  });

  t.test("a number turns unreachable when its subscription is deactivated", async (t) => {
    t.equal((await lookup("380441000001")).statusCode, 200, "before");
    const deactivated = await admin.inject({ method: "POST", url: `/subscriptions/${subscription.id}/deactivate`, ...form({ _csrf: admin.csrfToken }) });
    t.equal(deactivated.statusCode, 303);
    const after = await lookup("380441000001");
    t.equal(after.statusCode, 404, "after");
    t.same(after.json(), { number: "380441000001", reachable: false, status: "hold", reason: "not-active" });
    await admin.inject({ method: "POST", url: `/subscriptions/${subscription.id}/reactivate`, ...form({ _csrf: admin.csrfToken }) });
    t.equal((await lookup("380441000001")).statusCode, 200, "and routable again when it is reactivated");
  });

  t.test("an active number is routed only while its subscription is in force (before the scheduler catches up)", async (t) => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const cases: [string, { startDate?: string; endDate?: string; active?: boolean }, number][] = [
      ["380441000771", { startDate: day(-10), endDate: day(0) }, 200],
      ["380441000772", { startDate: day(-10), endDate: day(-1) }, 404],
      ["380441000773", { startDate: day(1) }, 404],
      ["380441000774", { active: false }, 404],
    ];
    for (const [number, dates, status] of cases) {
      const other = await makeClientAccount(db, a.id);
      const subscribed = await makeSubscription(db, other.clientId, pkg, dates);
      const [did] = await makeDids(db, opA.id, [number], { status: "active", clientAccountId: other.id });
      await db.did.update({ where: { id: did!.id }, data: { subscriptionId: subscribed.id } });
      const res = await lookup(number);
      t.equal(res.statusCode, status, `${number}: ${JSON.stringify(dates)}`);
      if (status === 404) t.same(res.json(), { number, reachable: false, status: "active", reason: "subscription-not-in-force" });
    }
  });

  t.test("unknown tokens are limited per client address", async (t) => {
    const guess = (i: number, remoteAddress: string) => lookup("380441000001", `didtok_${String(i).padStart(43, "B")}`, { remoteAddress });
    for (let i = 0; i < 60; i++) t.equal((await guess(i, "198.51.100.9")).statusCode, 401);
    const cooled = await guess(60, "198.51.100.9");
    t.equal(cooled.statusCode, 429, "the 61st unknown token in a minute from one address");
    t.ok(Number(cooled.headers["retry-after"]) >= 1);
    t.match(cooled.json().message, /Too many unknown or revoked API tokens/);
    t.equal((await guess(61, "198.51.100.10")).statusCode, 401, "another address is not affected");
  });

  t.test("a token revoked on the API tokens page stops working", async (t) => {
    const token = await makeApiToken(db);
    t.equal((await lookup("380441000001", token.token)).statusCode, 200);
    const revokedThere = await admin.inject({ method: "POST", url: `/api-tokens/${token.id}/revoke`, ...form({ _csrf: admin.csrfToken }) });
    t.equal(revokedThere.statusCode, 303);
    t.equal((await lookup("380441000001", token.token)).statusCode, 401);
  });

  t.test("a revoked token stops working at once on every instance", async (t) => {
    // A second instance of the app on the same database, as behind a load balancer.
    const otherDb = createPrismaClient(url, 2);
    const other = await buildApp({ ...loadConfig({}), databaseUrl: url, apiRateLimit: 100_000 }, otherDb, { logger: false });
    t.teardown(async () => {
      await other.close();
      await otherDb.$disconnect();
    });
    const token = await makeApiToken(db);
    const ask = (instance: typeof app) => instance.inject({ url: "/api/v1/route/380441000003", headers: bearer(token.token) }).then((r) => r.statusCode);
    t.same([await ask(app), await ask(other)], [404, 404], "both answer for the live token");
    await db.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
    t.same([await ask(app), await ask(other)], [401, 401], "both refuse it the moment it is revoked");
  });

  t.test("the token's last use is recorded", async (t) => {
    const fresh = await makeApiToken(db);
    t.equal((await db.apiToken.findUniqueOrThrow({ where: { id: fresh.id } })).lastUsedAt, null);
    await lookup("380441000001", fresh.token);
    for (let i = 0; i < 50 && !(await db.apiToken.findUniqueOrThrow({ where: { id: fresh.id } })).lastUsedAt; i++) await new Promise((r) => setTimeout(r, 20));
    const used = (await db.apiToken.findUniqueOrThrow({ where: { id: fresh.id } })).lastUsedAt;
    t.ok(used && Date.now() - used.getTime() < 60_000, "last_used_at is set");
    const events = await db.auditEvent.count({ where: { OR: [{ label: { contains: "didtok_" } }] } });
    t.equal(events, 0, "no token in the audit log");
  });

  t.test("the OpenAPI document", async (t) => {
    const res = await app.inject({ url: "/api/openapi.json" });
    t.equal(res.statusCode, 200, "served without a token");
    isJson(t, res, "openapi.json");
    const document = res.json();
    const result = await new Validator().validate(document);
    t.ok(result.valid, `valid OpenAPI ${document.openapi}: ${JSON.stringify(result.errors ?? "").slice(0, 500)}`);
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).filter((m) => m !== "head").map((m) => `${m.toUpperCase()} ${path}`),
    );
    const declared = listRoutes(app.printRoutes({ commonPrefix: false }))
      .filter((r) => r.path.startsWith("/api/") && r.path !== "/api/openapi.json")
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    t.ok(declared.length >= 2, "the API has routes");
    t.same(documented.sort(), declared.sort(), "every API route is documented, and only those");
    t.same(document.components.securitySchemes.bearerAuth, { type: "http", scheme: "bearer", description: document.components.securitySchemes.bearerAuth.description });
    const single = document.paths["/api/v1/route/{number}"].get;
    t.same(Object.keys(single.responses).sort(), ["200", "400", "401", "403", "404", "429"]);
  });
});

t.test("a request the HTTP parser refuses gets JSON under /api, and a page elsewhere", async (t) => {
  const { app } = await buildTestApp(t);
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as { port: number };
  const get = (path: string) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port, path }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), body }));
      });
      req.on("error", reject);
    });
  const api = await get(`/api/v1/route/${"1".repeat(20_000)}`);
  t.equal(api.status, 431);
  t.match(api.type, /application\/json/);
  t.match(JSON.parse(api.body), { statusCode: 431, error: "Request Header Fields Too Large" });
  const page = await get(`/apis?x=${"1".repeat(20_000)}`);
  t.match(page.type, /text\/html/, "not for /apis");
});
