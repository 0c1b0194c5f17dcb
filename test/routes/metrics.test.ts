// /metrics as Prometheus and a prober see it: who gets the figures (a token, an allowed
// address) and who gets the app's ordinary 404 page; the text parses and names every
// metric; pages, API lookups, sign-in failures, imports and the hold scheduler show up.
import t from "tap";
import { jobHandlers } from "../../src/jobs/job-handlers.js";
import { unmatchedRoute } from "../../src/plugins/metrics.js";
import { ManualClock } from "../../src/shared/clock.js";
import { buildTestApp, form, html, type TestApp } from "../helpers/app.js";
import { makeApiToken, makeClientAccount, makeDids, makeOperator } from "../helpers/factories.js";
import { multipart } from "../helpers/multipart.js";

const token = "m3tr1cs-t0ken-for-the-tests-0123456789abcdef";

/** A page with its per-request CSRF tokens blanked, to compare two pages. */
const withoutCsrfTokens = (page: string) => page.replace(/x-csrf-token&quot;:&quot;[^&]*/g, "").replace(/value="[^"]*"/g, "");

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The Prometheus text format, read strictly enough that a malformed line fails the test.
 * (prom-client writes NaN as "Nan", which Prometheus reads: its float parser ignores case.)
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$/.exec(line);
    if (!sample) throw new Error(`not a line of the Prometheus text format: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[key!] = value!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { samples, types };
}

t.test("/metrics", async (t) => {
  const app: TestApp = await buildTestApp(t, { metricsToken: token, metricsAllow: ["10.1.0.0/16", "2001:db8::/32"] });
  const { db, admin } = app;
  const scrape = () => app.app.inject({ url: "/metrics", headers: { authorization: `Bearer ${token}` } });
  const samples = async () => {
    const res = await scrape();
    t.equal(res.statusCode, 200);
    return parseExposition(res.body).samples;
  };
  /** The value of one series (0 when it is absent). */
  const value = (all: Sample[], name: string, labels: Record<string, string> = {}) =>
    all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
  // Every refusal is the one page, whatever was wrong: nothing to tell a close token from none.
  const notFoundPage = withoutCsrfTokens((await app.app.inject({ url: "/metrics" })).body);

  t.test("the token opens it; a wrong or missing one gets the app's 404 page", async (t) => {
    t.match(notFoundPage, /<title>Not found/);
    const res = await scrape();
    t.equal(res.statusCode, 200);
    t.equal(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    t.equal(res.headers["cache-control"], "no-store");
    t.notOk(res.headers["set-cookie"], "no session, no cookie");
    t.equal((await app.app.inject({ url: "/metrics", headers: { authorization: `bearer  ${token}` } })).statusCode, 200, "the scheme in any case");
    for (const authorization of [undefined, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, token, "Bearer "]) {
      const refused = await app.app.inject({ url: "/metrics", headers: authorization === undefined ? {} : { authorization } });
      t.equal(refused.statusCode, 404, `refused: ${authorization}`);
      t.equal(withoutCsrfTokens(refused.body), notFoundPage, "the same page every time");
    }
    const signedIn = await admin.inject({ url: "/metrics" });
    t.equal(signedIn.statusCode, 404, "a session opens nothing");
    const unknown = await admin.inject({ url: "/nothing-here" });
    t.equal(withoutCsrfTokens(signedIn.body), withoutCsrfTokens(unknown.body), "signed in, the same page as any unknown address");
  });

  t.test("an allowed address opens it without a token; others do not", async (t) => {
    for (const remoteAddress of ["10.1.2.3", "10.1.255.254", "::ffff:10.1.0.1", "2001:db8::7"]) {
      t.equal((await app.app.inject({ url: "/metrics", remoteAddress })).statusCode, 200, remoteAddress);
    }
    for (const remoteAddress of ["10.2.0.1", "127.0.0.1", "192.168.1.10", "2001:db9::1"]) {
      t.equal((await app.app.inject({ url: "/metrics", remoteAddress })).statusCode, 404, remoteAddress);
    }
    t.equal((await app.app.inject({ url: "/metrics", remoteAddress: "192.168.1.10", headers: { authorization: `Bearer ${token}` } })).statusCode, 200, "the token works from anywhere");
  });

  t.test("the text parses and names every metric", async (t) => {
    const res = await scrape();
    const { samples: all, types } = parseExposition(res.body);
    const expected: Record<string, string> = {
      http_request_duration_seconds: "histogram",
      did_db_pool_connections_in_use: "gauge",
      did_db_pool_connections_idle: "gauge",
      did_db_pool_clients_waiting: "gauge",
      did_db_pool_connections_max: "gauge",
      did_import_steps_running: "gauge",
      did_import_rows_checked_total: "counter",
      did_import_dids_created_total: "counter",
      did_hold_scheduler_runs_total: "counter",
      did_hold_scheduler_dids_held_total: "counter",
      did_hold_scheduler_dids_released_total: "counter",
      did_signin_failures_total: "counter",
      did_routing_lookups_total: "counter",
      process_cpu_user_seconds_total: "counter",
      process_resident_memory_bytes: "gauge",
      nodejs_eventloop_lag_seconds: "gauge",
      nodejs_heap_size_used_bytes: "gauge",
    };
    for (const [name, type] of Object.entries(expected)) t.equal(types.get(name), type, `${name} is a ${type}`);
    for (const answer of ["found", "not-found", "unauthorized", "forbidden", "rate-limited", "bad-request"]) {
      t.ok(all.some((s) => s.name === "did_routing_lookups_total" && s.labels.answer === answer), `lookups answered ${answer}: a series from the start`);
    }
    for (const reason of ["wrong-password", "disabled", "throttled"]) t.ok(all.some((s) => s.name === "did_signin_failures_total" && s.labels.reason === reason), reason);
    t.equal((res.body.match(/^# TYPE process_cpu_user_seconds_total /gm) ?? []).length, 1, "the process's metrics once");
  });

  t.test("the pool's gauges", async (t) => {
    const all = await samples();
    t.equal(value(all, "did_db_pool_connections_max"), 4, "the test app's pool of 4");
    t.ok(value(all, "did_db_pool_connections_in_use") >= 0);
    t.ok(value(all, "did_db_pool_connections_in_use") + value(all, "did_db_pool_connections_idle") <= 4);
    t.equal(value(all, "did_db_pool_clients_waiting"), 0);
  });

  const op = await makeOperator(db);
  const account = await makeClientAccount(db, op.resellerId);
  const [did] = await makeDids(db, op.id, ["380441000001"], { status: "active", clientAccountId: account.id });
  const apiToken = await makeApiToken(db);
  const lookup = (number: string, headers: Record<string, string> = { authorization: `Bearer ${apiToken.token}` }) => app.app.inject({ url: `/api/v1/route/${number}`, headers });

  t.test("a page and an API lookup show in the durations under their route patterns", async (t) => {
    const before = await samples();
    const count = (all: Sample[], labels: Record<string, string>) => value(all, "http_request_duration_seconds_count", labels);
    t.equal((await admin.inject({ url: `/dids/${did!.id}` })).statusCode, 200);
    t.equal((await lookup("380441000001")).statusCode, 200);
    t.equal((await lookup("15550000000")).statusCode, 404);
    t.equal((await admin.inject({ url: "/no/such/page/12345" })).statusCode, 404);
    const after = await samples();
    const page = { method: "GET", route: "/dids/:id", status_code: "200" };
    t.equal(count(after, page) - count(before, page), 1, "the page, as /dids/:id");
    const found = { method: "GET", route: "/api/v1/route/:number", status_code: "200" };
    t.equal(count(after, found) - count(before, found), 1, "the lookup, as /api/v1/route/:number");
    const notFound = { method: "GET", route: "/api/v1/route/:number", status_code: "404" };
    t.equal(count(after, notFound) - count(before, notFound), 1, "a number not found: its status");
    const unmatched = { method: "GET", route: unmatchedRoute, status_code: "404" };
    t.ok(count(after, unmatched) - count(before, unmatched) >= 1, "an unknown address, under one fixed label");
    const routes = new Set(after.filter((s) => s.name === "http_request_duration_seconds_count").map((s) => s.labels.route));
    t.notOk([...routes].some((route) => /\d{3,}/.test(route!)), `no raw address as a route: ${[...routes].join(" ")}`);
    const buckets = after.filter((s) => s.name === "http_request_duration_seconds_bucket" && s.labels.route === "/dids/:id" && s.labels.status_code === "200");
    t.equal(buckets.find((s) => s.labels.le === "+Inf")?.value, count(after, page), "the buckets end at the count");
  });

  t.test("API lookups by answer", async (t) => {
    const before = await samples();
    const lookups = (all: Sample[], answer: string) => value(all, "did_routing_lookups_total", { answer });
    await lookup("380441000001");
    await lookup("15550000000");
    await lookup("380441000001", {});
    await lookup("380441000001", { authorization: "Bearer didtok_unknown" });
    await lookup("not-a-number");
    await app.app.inject({ url: "/api/openapi.json" });
    await app.app.inject({ url: "/api/v1/nothing" });
    const batch = await app.app.inject({
      method: "POST",
      url: "/api/v1/route",
      headers: { authorization: `Bearer ${apiToken.token}`, "content-type": "application/json" },
      payload: JSON.stringify({ numbers: ["380441000001", "380441000001", "15550000001"] }),
    });
    t.equal(batch.statusCode, 200);
    const bound = await makeApiToken(db, { allowedNetworks: ["10.0.0.0/8"] });
    t.equal((await app.app.inject({ url: "/api/v1/route/380441000001", headers: { authorization: `Bearer ${bound.token}` } })).statusCode, 403);
    const slow = await makeApiToken(db, { rateLimit: 1 });
    // The first answer teaches the process the token's limit; the next ones in the same second are over it.
    const slowLookups = [];
    for (let i = 0; i < 3; i++) slowLookups.push(await lookup("380441000001", { authorization: `Bearer ${slow.token}` }));
    t.ok(slowLookups.some((res) => res.statusCode === 429), "over its limit of 1 a second");
    const limited = slowLookups.filter((res) => res.statusCode === 429).length;
    const after = await samples();
    t.equal(lookups(after, "found") - lookups(before, "found"), 3 + (3 - limited), "one single, two in the batch, and the limited token's");
    t.equal(lookups(after, "not-found") - lookups(before, "not-found"), 2);
    t.equal(lookups(after, "unauthorized") - lookups(before, "unauthorized"), 2, "no token, and a malformed one; not the 401 of an unknown API address");
    t.equal(lookups(after, "bad-request") - lookups(before, "bad-request"), 1);
    t.equal(lookups(after, "forbidden") - lookups(before, "forbidden"), 1);
    t.equal(lookups(after, "rate-limited") - lookups(before, "rate-limited"), limited);
  });

  t.test("a failed sign-in counts", async (t) => {
    const before = await samples();
    const page = await app.app.inject({ url: "/signin" });
    const csrf = html(page.body).querySelector('input[name="_csrf"]')!.getAttribute("value")!;
    const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
    const res = await app.app.inject({ method: "POST", url: "/signin", ...form({ username: "admin", password: "wrong", _csrf: csrf }), cookies });
    t.equal(res.statusCode, 401);
    const after = await samples();
    const failures = (all: Sample[]) => value(all, "did_signin_failures_total", { reason: "wrong-password" });
    t.equal(failures(after) - failures(before), 1);
  });

  t.test("an import's rows and DIDs; no step left running", async (t) => {
    const before = await samples();
    const body = multipart({ header: "1" }, { name: "a.csv", content: `DID,Operator\n380442000001,${op.name}\n380442000002,${op.name}\n380441000001,${op.name}\n` });
    const uploaded = await admin.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
    const id = Number(/\d+$/.exec(String(uploaded.headers.location))![0]);
    const checked = await admin.inject({ method: "POST", url: `/imports/${id}/mapping`, ...form({ col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check" }) });
    t.equal(checked.statusCode, 303, checked.body);
    t.equal((await admin.inject({ method: "POST", url: `/imports/${id}/commit`, ...form({}) })).statusCode, 303);
    const after = await samples();
    t.equal(value(after, "did_import_rows_checked_total") - value(before, "did_import_rows_checked_total"), 3);
    t.equal(value(after, "did_import_dids_created_total") - value(before, "did_import_dids_created_total"), 2, "the number already there is not created");
    t.equal(value(after, "did_import_steps_running", { step: "check" }), 0);
    t.equal(value(after, "did_import_steps_running", { step: "commit" }), 0);
  });

  t.test("the hold scheduler's runs and the DIDs it released", async (t) => {
    const clock = new ManualClock(new Date("2026-11-27T10:00:00Z"));
    await makeDids(db, op.id, ["380443000001", "380443000002"], { status: "hold", clientAccountId: account.id, holdUntil: new Date("2026-11-20T00:00:00Z") });
    const before = await samples();
    const quiet = { info() {}, warn() {}, error() {}, child: () => quiet };
    const scheduler = jobHandlers(app.config, clock, app.app.metrics)["hold-scheduler"]!;
    await scheduler.run({ id: 1n, kind: "hold-scheduler", payload: {}, attempt: 1, signal: new AbortController().signal, progress() {}, log: quiet }, db);
    const after = await samples();
    t.equal(value(after, "did_hold_scheduler_runs_total", { result: "ok" }) - value(before, "did_hold_scheduler_runs_total", { result: "ok" }), 1);
    t.equal(value(after, "did_hold_scheduler_dids_released_total") - value(before, "did_hold_scheduler_dids_released_total"), 2);
  });
});

t.test("/metrics unconfigured: not found for everyone", async (t) => {
  const { app, admin } = await buildTestApp(t);
  for (const options of [{}, { remoteAddress: "127.0.0.1" }, { remoteAddress: "10.1.2.3" }, { headers: { authorization: `Bearer ${token}` } }]) {
    const res = await app.inject({ url: "/metrics", ...options });
    t.equal(res.statusCode, 404);
    t.match(res.body, /<title>Not found/);
    t.equal(res.headers["content-type"], "text/html; charset=utf-8");
  }
  const signedIn = await admin.inject({ url: "/metrics" });
  t.equal(signedIn.statusCode, 404);
  const unknown = await admin.inject({ url: "/nothing-here" });
  t.equal(withoutCsrfTokens(signedIn.body), withoutCsrfTokens(unknown.body), "signed in, the same page as any unknown address");
});
