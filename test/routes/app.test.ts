// Cross-cutting behaviour: redirects, static files, errors, limits.
import t from "tap";
import { buildTestApp, form, html, htmx, text } from "../helpers/app.js";
import { makeOperator } from "../helpers/factories.js";

t.test("the app shell", async (t) => {
  const { app, db, admin } = await buildTestApp(t);

  t.test("/ goes to the inventory", async (t) => {
    const res = await admin.inject({ url: "/" });
    t.equal(res.statusCode, 302);
    t.equal(res.headers.location, "/dids");
  });

  t.test("/healthz and /readyz answer ok, uncached, with no session or page hooks", async (t) => {
    for (const url of ["/healthz", "/readyz"]) {
      const res = await app.inject({ url });
      t.equal(res.statusCode, 200, url);
      t.equal(res.body, "ok");
      t.match(res.headers["content-type"], /^text\/plain/);
      t.equal(res.headers["cache-control"], "no-store");
      t.notOk(res.headers["set-cookie"], "no session or CSRF cookie");
      t.notOk(res.headers["content-security-policy"], "outside the pages' scope");
    }
    t.equal((await admin.inject({ url: "/readyz" })).statusCode, 200, "signed in or not");
  });

  t.test("htmx and the stylesheet come from our own origin, cached for long", async (t) => {
    const doc = html((await admin.inject({ url: "/dids" })).body);
    const script = doc.querySelector("script")!.getAttribute("src")!;
    const css = doc.querySelector('link[rel="stylesheet"]')!.getAttribute("href")!;
    t.match(script, /^\/static\/vendor\/htmx\.min\.js\?v=[0-9a-f]{10}$/);
    t.match(css, /^\/static\/app\.css\?v=[0-9a-f]{10}$/);
    for (const url of [script, css]) {
      const res = await admin.inject({ url });
      t.equal(res.statusCode, 200, url);
      t.match(res.headers["cache-control"], /max-age=31536000/);
    }
    t.equal((await admin.inject({ url: "/static/vendor/htmx.js" })).statusCode, 404, "only the minified build is served");
    t.equal((await admin.inject({ url: "/static/../package.json" })).statusCode, 404);
    t.notOk(doc.querySelector("script:not([src])"), "no inline script");
    t.match(doc.querySelector('meta[name="htmx-config"]')!.getAttribute("content"), /"allowEval":false/);
  });

  t.test("signed-in pages are not cached; static files are, for long", async (t) => {
    const page = await admin.inject({ url: "/dids" });
    t.equal(page.headers["cache-control"], "no-store");
    t.equal(page.headers["referrer-policy"], "same-origin", "our pages see where the user came from; other sites do not");
    const css = html(page.body).querySelector('link[rel="stylesheet"]')!.getAttribute("href")!;
    t.match((await app.inject({ url: css })).headers["cache-control"], /max-age=31536000/);
    t.match(html(page.body).querySelector('meta[name="htmx-config"]')!.getAttribute("content"), /"historyCacheSize":0/, "htmx keeps no copies of pages");
  });

  t.test("pages are compressed", async (t) => {
    const res = await admin.inject({ url: "/dids", headers: { "accept-encoding": "gzip" } });
    t.equal(res.headers["content-encoding"], "gzip");
  });

  t.test("unknown pages: a helpful 404, as a page or a fragment", async (t) => {
    const res = await admin.inject({ url: "/nowhere" });
    t.equal(res.statusCode, 404);
    t.match(text(html(res.body).querySelector("h1")), "Not found");
    t.match(res.body, /<html/);
    const fragment = await admin.inject({ url: "/nowhere", headers: htmx });
    t.equal(fragment.statusCode, 404);
    t.notMatch(fragment.body, /<html/);
    t.equal(fragment.headers["hx-retarget"], "#dialog", "htmx shows it in the dialog, keeping the page");
    t.match(text(html(fragment.body).querySelector(".modal h2")), "Not found");
  });

  t.test("bodies over the limit get a clear 413 page", async (t) => {
    const op = await makeOperator(db);
    const big = form({ operator: String(op.id), tag: "x".repeat(70 * 1024) });
    const res = await admin.inject({ method: "POST", url: "/dids/1/edit", ...big });
    t.equal(res.statusCode, 413);
    t.match(text(html(res.body).querySelector("h1")), "Too large");
  });

  t.test("unsupported content types and malformed bodies never give a 500", async (t) => {
    const json = await admin.inject({ method: "POST", url: "/operators/new", payload: "{}", headers: { "content-type": "application/json" } });
    t.equal(json.statusCode, 415, "there is no JSON API: a form route refuses JSON");
    const signin = await app.inject({ method: "POST", url: "/signin", payload: '{"username":{"toString":1}}', headers: { "content-type": "application/json" } });
    t.equal(signin.statusCode, 415);
    const xml = await admin.inject({ method: "POST", url: "/operators/new", payload: "<a/>", headers: { "content-type": "text/xml" } });
    t.equal(xml.statusCode, 415);
    const none = await admin.inject({ method: "POST", url: "/resellers" });
    t.equal(none.statusCode, 422);
  });
});

t.test("a database outage gives a 500 page with a request id", async (t) => {
  const { app, db, admin } = await buildTestApp(t);
  await app.ready();
  await db.$disconnect();
  // A client pointed at a closed port: every query fails like a lost database.
  const { createPrismaClient } = await import("../../src/db/prisma.js");
  const broken = createPrismaClient("postgresql://postgres:wrong@127.0.0.1:1/nothing", 1);
  (app as unknown as { db: unknown }).db = broken;
  const res = await admin.inject({ url: "/dids" });
  t.equal(res.statusCode, 500);
  const doc = html(res.body);
  t.match(text(doc.querySelector("h1")), "Sorry, something went wrong");
  t.match(text(doc.querySelector("code")), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a unique request id");
  t.notMatch(res.body, /127\.0\.0\.1|ECONNREFUSED|at .*\.ts:\d+|Prisma/i);
  await broken.$disconnect();
});
