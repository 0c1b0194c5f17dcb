// The API tokens page (admins only): the list, creating a token (shown once, only its
// SHA-256 kept, never in a URL, a cookie or the audit log), every refusal of the form,
// revoking (twice too), page and fragment answers, and who may see it at all.
import { createHash } from "node:crypto";
import t from "tap";
import { expectAuditEvents } from "../helpers/audit.js";
import { buildTestApp, form, html, htmx, tableRows, text, type Browser } from "../helpers/app.js";
import { makeApiToken, makeReseller } from "../helpers/factories.js";

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
const tokenPattern = /^didtok_[A-Za-z0-9_-]{43}$/;

t.test("API tokens", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const adminUser = await db.user.findFirstOrThrow({ where: { username: admin.username } });
  const acme = await makeReseller(db, "Acme");
  const post = (url: string, fields: Record<string, string | string[]>, browser: Browser = admin, headers: Record<string, string> = {}) =>
    browser.inject({ method: "POST", url, ...form(fields), headers: { ...form({}).headers, ...headers } });
  const listPage = async () => html((await admin.inject({ url: "/api-tokens" })).body);
  /** Every audit event's text, to show that no token or hash was ever written there. */
  const auditText = async () => JSON.stringify(await db.$queryRaw<unknown[]>`SELECT label, changes::text AS changes FROM audit_event`);

  t.test("the empty list explains what tokens are for; admins have it in the menu", async (t) => {
    const res = await admin.inject({ url: "/api-tokens" });
    t.equal(res.statusCode, 200);
    const page = html(res.body);
    t.equal(text(page.querySelector("h1")), "API tokens");
    t.equal(page.querySelector('nav a[href="/api-tokens"]')?.getAttribute("aria-current"), "page", "the menu link, current");
    const intro = page.querySelector("p.intro");
    t.match(text(intro), /Authorization: Bearer <token>/);
    t.match(text(intro), /Routing API/);
    t.ok(intro?.querySelector('a[href="/api/openapi.json"]'), "points at the API's description");
    t.equal(page.querySelector('a[href="/api-tokens/new"]')?.getAttribute("hx-get"), "/api-tokens/new", "New API token opens in the dialog");
    t.match(text(page.querySelector(".empty")), /No API tokens yet/);
    const nav = html((await admin.inject({ url: "/dids" })).body).querySelectorAll("nav a").map((a) => text(a));
    t.equal(nav.indexOf("API tokens"), nav.indexOf("Users") + 1, "right after Users");
  });

  let created: { id: number; token: string; name: string };

  t.test("create: the token is shown once, its SHA-256 kept, its prefix listed", async (t) => {
    const fields = { name: "  Softswitch Kyiv ", reseller: String(acme.id), rate_limit: "5000", allowed_networks: "10.0.0.0/8, 192.0.2.7\n2001:DB8::/32  10.0.0.0/8 ::ffff:198.51.100.1" };
    const { result: res, events } = await expectAuditEvents(t, db, () => post("/api-tokens/new", fields), [
      {
        action: "create",
        objectType: "api_token",
        label: "Softswitch Kyiv",
        actorId: adminUser.id,
        actorName: "admin",
        resellerId: acme.id,
        changes: {
          name: [null, "Softswitch Kyiv"],
          reseller: [null, "Acme"],
          rate_limit: [null, 5000],
          allowed_networks: [null, "10.0.0.0/8, 192.0.2.7/32, 2001:db8::/32, 198.51.100.1/32"],
        },
      },
    ]);
    t.equal(res.statusCode, 201, "201, not a redirect");
    t.notOk(res.headers.location, "no Location: the token is in no URL");
    t.equal(res.headers["cache-control"], "no-store");
    t.match(String(res.headers["content-type"]), /^text\/html/);
    const page = html(res.body);
    t.ok(page.querySelector("html"), "a page of its own");
    const field = page.querySelector("input#t-token");
    const token = field?.getAttribute("value") ?? "";
    t.match(token, tokenPattern, "the token, in full");
    t.ok(field?.hasAttribute("readonly"), "read only");
    t.equal(text(page.querySelector('label[for="t-token"]')), "API token “Softswitch Kyiv”", "with a label");
    t.match(text(page.querySelector("main")), /will not be shown again/);
    t.match(text(page.querySelector("main")), /Authorization: Bearer <token>/);
    t.ok(page.querySelector('main a[href="/api-tokens"]'), "a way back to the list");
    t.equal(res.body.split(token).length - 1, 1, "the token appears once in the page");
    t.notMatch(JSON.stringify(res.headers), token, "nor in any header (cookies included)");

    const row = await db.apiToken.findFirstOrThrow({ where: { name: "Softswitch Kyiv" } });
    t.equal(row.tokenHash, sha256(token), "only its SHA-256 is stored");
    t.equal(row.tokenPrefix, token.slice(0, 13));
    t.match(row, { resellerId: acme.id, rateLimit: 5000, createdById: adminUser.id, revokedAt: null, lastUsedAt: null });
    t.same(row.allowedNetworks, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "198.51.100.1/32"], "normalized, duplicates dropped");
    t.equal(events[0]!.objectId, row.id);

    const listed = await admin.inject({ url: "/api-tokens" });
    t.notMatch(listed.body, token, "the list never shows the token again");
    t.notMatch(listed.body, row.tokenHash, "nor its hash");
    const [cells] = tableRows(html(listed.body));
    t.same(cells!.slice(0, 5), ["Softswitch Kyiv", `${row.tokenPrefix}…`, "Acme", "5,000/s", "10.0.0.0/8, 192.0.2.7/32, 2001:db8::/32, 198.51.100.1/32"]);
    t.match(cells![5], /^\d{4}-\d\d-\d\d \d\d:\d\d UTC by admin$/, "created, and by whom");
    t.same(cells!.slice(6), ["Never", "Active", "Revoke Softswitch Kyiv"]);
    t.equal(html(listed.body).querySelector(`a[href="/api-tokens/${row.id}/revoke"]`)?.getAttribute("hx-target"), "#dialog");

    const audit = await auditText();
    t.notMatch(audit, token, "no audit event holds the token");
    t.notMatch(audit, row.tokenHash, "nor its hash");
    created = { id: row.id, token, name: row.name };
  });

  t.test("create with the defaults: all resellers, the default limit, any address", async (t) => {
    const { result: res } = await expectAuditEvents(t, db, () => post("/api-tokens/new", { name: "Billing", reseller: "", rate_limit: " ", allowed_networks: "" }), [
      { action: "create", objectType: "api_token", label: "Billing", resellerId: null, changes: { name: [null, "Billing"], reseller: [null, "All resellers"], rate_limit: [null, "Default"], allowed_networks: [null, "Any"] } },
    ]);
    t.equal(res.statusCode, 201);
    t.match(await db.apiToken.findFirstOrThrow({ where: { name: "Billing" } }), { resellerId: null, rateLimit: null, allowedNetworks: [] });
    const rows = tableRows(await listPage());
    t.same(rows.map((r) => r[0]), ["Billing", "Softswitch Kyiv"], "newest first");
    t.same(rows[0]!.slice(2, 5), ["All resellers", "Default (1,000/s)", "Any"]);
  });

  t.test("the default limit shown is the configured one", async (t) => {
    const other = await buildTestApp(t, { apiRateLimit: 250 });
    await makeApiToken(other.db, { name: "Defaulted" });
    t.same(tableRows(html((await other.admin.inject({ url: "/api-tokens" })).body))[0]!.slice(3, 4), ["Default (250/s)"]);
  });

  t.test("page and fragment: the form, and the shown-once answer with the list refreshed behind it", async (t) => {
    const newPage = await admin.inject({ url: "/api-tokens/new" });
    t.equal(newPage.statusCode, 200);
    t.equal(text(html(newPage.body).querySelector("h1")), "New API token");
    const newForm = html(newPage.body).querySelector('form[action="/api-tokens/new"]');
    t.notOk(newForm?.getAttribute("hx-post"), "without JavaScript a plain form");
    t.same(html(newPage.body).querySelectorAll("#t-reseller option").map((o) => text(o)), ["All resellers", "Acme"]);

    const fragment = await admin.inject({ url: "/api-tokens/new", headers: htmx });
    t.equal(fragment.statusCode, 200);
    t.notMatch(fragment.body, /<html/, "a fragment");
    const dialog = html(fragment.body).querySelector('[role="dialog"]');
    t.equal(text(dialog?.querySelector("#dialog-title")), "New API token");
    t.equal(dialog?.querySelector("form")?.getAttribute("hx-post"), "/api-tokens/new");
    t.equal(dialog?.querySelector("form")?.getAttribute("hx-target"), "#dialog");

    const res = await post("/api-tokens/new", { name: "Via htmx" }, admin, htmx);
    t.equal(res.statusCode, 201);
    t.equal(res.headers["cache-control"], "no-store");
    t.notMatch(res.body, /<html/, "a fragment");
    const body = html(res.body);
    const token = body.querySelector('[role="dialog"] input#t-token')?.getAttribute("value") ?? "";
    t.match(token, tokenPattern, "the token, in the dialog");
    const list = body.querySelector("#api-token-list");
    t.equal(list?.getAttribute("hx-swap-oob"), "true", "the list behind it, out of band");
    t.same(tableRows(list!).map((r) => r[0]), ["Via htmx", "Billing", "Softswitch Kyiv"]);
    t.notMatch(list!.toString(), token, "showing the prefix only");

    const listFragment = await admin.inject({ url: "/api-tokens", headers: htmx });
    t.notMatch(listFragment.body, /<html/);
    t.ok(html(listFragment.body).querySelector("#api-token-list"));
  });

  t.test("bad input: 422 with the message at the field, nothing written", async (t) => {
    const before = await db.apiToken.count();
    const ok = { name: "Fresh name", reseller: "", rate_limit: "", allowed_networks: "" };
    const cases: [Record<string, string | string[]>, string, RegExp][] = [
      [{ name: "" }, "name", /Name is required/],
      [{ name: "   " }, "name", /Name is required/],
      [{ name: "x".repeat(101) }, "name", /at most 100 characters/],
      [{ name: "tab\there" }, "name", /control characters/],
      [{ name: ["One", "Two"] }, "name", /Give this field once/],
      [{ name: "SOFTSWITCH kyiv" }, "name", /An active token is already named “SOFTSWITCH kyiv”/],
      [{ reseller: "abc" }, "reseller", /whole number ID, not "abc"/],
      [{ reseller: "999999" }, "reseller", /That reseller does not exist/],
      [{ rate_limit: "0" }, "rate_limit", /from 1 to 1,000,000/],
      [{ rate_limit: "1000001" }, "rate_limit", /from 1 to 1,000,000/],
      [{ rate_limit: "-5" }, "rate_limit", /from 1 to 1,000,000/],
      [{ rate_limit: "ten" }, "rate_limit", /whole number, not "ten"/],
      [{ rate_limit: "1.5" }, "rate_limit", /whole number, not "1.5"/],
      [{ allowed_networks: "10.0.0.256" }, "allowed_networks", /“10\.0\.0\.256” is not an IPv4 or IPv6 address or CIDR block/],
      [{ allowed_networks: "10.0.0.0/8 example.com" }, "allowed_networks", /“example\.com” is not an IPv4/],
      [{ allowed_networks: "010.0.0.1" }, "allowed_networks", /“010\.0\.0\.1” is not/],
      [{ allowed_networks: "10" }, "allowed_networks", /“10” is not/],
      [{ allowed_networks: "10.0.0.0/33" }, "allowed_networks", /“10\.0\.0\.0\/33”: an IPv4 block has a prefix length from 0 to 32/],
      [{ allowed_networks: "2001:db8::/129" }, "allowed_networks", /prefix length from 0 to 128/],
      [{ allowed_networks: "10.0.0.0/" }, "allowed_networks", /“10\.0\.0\.0\/” is not/],
      [{ allowed_networks: "10.1.2.3/8" }, "allowed_networks", /“10\.1\.2\.3\/8” has address bits set after its first 8: write 10\.0\.0\.0\/8 for the block, or 10\.1\.2\.3 for one address/],
      [{ allowed_networks: "fe80::1%eth0" }, "allowed_networks", /“fe80::1%eth0” is not/],
      [{ allowed_networks: "bad1, 10.0.0.1, bad2" }, "allowed_networks", /“bad1” is not.*\n.*“bad2” is not/],
      [{ allowed_networks: Array.from({ length: 21 }, (_, i) => `10.0.${i}.0/24`).join(" ") }, "allowed_networks", /At most 20 addresses or blocks \(this list has 21\)/],
    ];
    for (const [fields, field, message] of cases) {
      const { result: res } = await expectAuditEvents(t, db, () => post("/api-tokens/new", { ...ok, ...fields }), 0, JSON.stringify(fields).slice(0, 60));
      t.equal(res.statusCode, 422, JSON.stringify(fields).slice(0, 60));
      const page = html(res.body);
      const error = page.querySelector(`#${field}-error`);
      t.match(error?.textContent ?? "", message, `${field}: ${message}`);
      t.equal(page.querySelector(`[aria-describedby~="${field}-error"]`)?.getAttribute("aria-invalid"), "true", "the field is marked and points at its message");
      t.notOk(page.querySelector("input#t-token"), "no token shown");
    }
    t.equal(await db.apiToken.count(), before, "no token written");

    const echoed = html((await post("/api-tokens/new", { name: "Echo", rate_limit: "ten", allowed_networks: "10.0.0.0/8\nnope" })).body);
    t.equal(echoed.querySelector("#t-name")?.getAttribute("value"), "Echo", "the form comes back as typed");
    t.equal(echoed.querySelector("#t-rate-limit")?.getAttribute("value"), "ten");
    t.equal(echoed.querySelector("#t-networks")?.textContent, "10.0.0.0/8\nnope");

    const inDialog = await post("/api-tokens/new", { name: "" }, admin, htmx);
    t.equal(inDialog.statusCode, 422);
    t.notMatch(inDialog.body, /<html/, "for htmx, the dialog again");
    t.match(text(html(inDialog.body).querySelector('[role="dialog"] #name-error')), /required/);
  });

  t.test("revoke: confirmation, then the token is revoked at once, recorded, and listed as such", async (t) => {
    const confirmation = await admin.inject({ url: `/api-tokens/${created.id}/revoke` });
    t.equal(confirmation.statusCode, 200);
    const page = html(confirmation.body);
    t.equal(text(page.querySelector("h1")), "Revoke API token Softswitch Kyiv");
    t.ok(page.querySelector(`form[action="/api-tokens/${created.id}/revoke"] button`), "a real form");
    t.notMatch(confirmation.body, created.token);

    const dialog = await admin.inject({ url: `/api-tokens/${created.id}/revoke`, headers: htmx });
    t.notMatch(dialog.body, /<html/);
    t.equal(text(html(dialog.body).querySelector('[role="dialog"] #dialog-title')), "Revoke API token Softswitch Kyiv");
    t.equal(html(dialog.body).querySelector("form")?.getAttribute("hx-post"), `/api-tokens/${created.id}/revoke`);

    const { result: res } = await expectAuditEvents(t, db, () => post(`/api-tokens/${created.id}/revoke`, {}), [
      { action: "revoke", objectType: "api_token", objectId: created.id, resellerId: acme.id, label: "Softswitch Kyiv", actorId: adminUser.id, changes: { state: ["active", "revoked"] } },
    ]);
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, "/api-tokens");
    const row = await db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    t.ok(row.revokedAt, "revoked_at set");
    t.equal(row.revokedById, adminUser.id);

    const cookie = String(res.headers["set-cookie"]).split(";")[0]!;
    const list = html((await admin.inject({ url: "/api-tokens", headers: { cookie } })).body);
    t.equal(text(list.querySelector(".flash")), "Revoked API token “Softswitch Kyiv”.");
    const rows = tableRows(list);
    t.same(rows.map((r) => r[0]), ["Via htmx", "Billing", "Softswitch Kyiv"], "active first");
    const revoked = rows.find((r) => r[0] === "Softswitch Kyiv")!;
    t.match(revoked[7], /^Revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC by admin$/);
    t.equal(revoked[8], "", "no Revoke action any more");
    t.match(text(list.querySelector(".summary")), /^2 active tokens, 1 revoked$/);

    const viaHtmx = await makeApiToken(db, { name: "Short lived" });
    const htmxRes = await post(`/api-tokens/${viaHtmx.id}/revoke`, {}, admin, htmx);
    t.equal(htmxRes.statusCode, 204);
    t.equal(htmxRes.headers["hx-redirect"], "/api-tokens");
  });

  t.test("revoking a revoked token says so and changes nothing", async (t) => {
    const before = await db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    const { result: again } = await expectAuditEvents(t, db, () => post(`/api-tokens/${created.id}/revoke`, {}), 0, "a second revoke");
    t.equal(again.statusCode, 409);
    t.match(text(html(again.body).querySelector('[role="alert"]')), /^API token “Softswitch Kyiv” was already revoked on \d{4}-\d\d-\d\d \d\d:\d\d UTC by admin\. Nothing changed\.$/);
    t.notOk(html(again.body).querySelector("form[action$='/revoke']"), "no button to press again");
    t.same(await db.apiToken.findUniqueOrThrow({ where: { id: created.id } }), before, "the row is as it was");
    const inDialog = await post(`/api-tokens/${created.id}/revoke`, {}, admin, htmx);
    t.equal(inDialog.statusCode, 409);
    t.match(text(html(inDialog.body).querySelector('[role="dialog"]')), /already revoked/);
    const confirmation = await admin.inject({ url: `/api-tokens/${created.id}/revoke` });
    t.equal(confirmation.statusCode, 200);
    t.match(text(html(confirmation.body).querySelector('[role="alert"]')), /already revoked/);
  });

  t.test("a revoked token's name may be used again", async (t) => {
    const res = await post("/api-tokens/new", { name: "Softswitch Kyiv" });
    t.equal(res.statusCode, 201);
    t.equal(await db.apiToken.count({ where: { name: "Softswitch Kyiv" } }), 2);
  });

  t.test("unknown and bad token IDs", async (t) => {
    for (const [method, url, status] of [
      ["GET", "/api-tokens/999999/revoke", 404],
      ["POST", "/api-tokens/999999/revoke", 404],
      ["GET", "/api-tokens/abc/revoke", 400],
      ["POST", "/api-tokens/abc/revoke", 400],
      ["GET", "/api-tokens/0/revoke", 400],
    ] as const) {
      const res = method === "GET" ? await admin.inject({ url }) : await post(url, {});
      t.equal(res.statusCode, status, `${method} ${url}`);
      t.match(text(html(res.body).querySelector("h1")), status === 404 ? /API token not found/ : /Bad API token ID/);
    }
  });

  t.test("the audit log shows the events, linked to this page for admins", async (t) => {
    const page = html((await admin.inject({ url: "/audit?type=api_token" })).body);
    const rows = tableRows(page);
    t.ok(rows.some((r) => r[2] === "Revoked" && /^API token Softswitch Kyiv/.test(r[3]!) && /State: active → revoked/.test(r[4]!)), "the revoke");
    const create = rows.find((r) => r[2] === "Created" && /^API token Billing/.test(r[3]!));
    t.match(create?.[4], /Reseller: — → All resellers.*Rate limit: — → Default.*Allowed addresses: — → Any/);
    t.ok(page.querySelector('table.list a[href="/api-tokens"]'), "the object links to the API tokens page");
    t.same(
      page.querySelectorAll("#a-type option").filter((o) => o.getAttribute("value") === "api_token").map((o) => text(o)),
      ["API token"],
      "a type of the filter",
    );
    const reseller = await signInAs({ role: "reseller", resellerId: acme.id });
    const theirs = html((await reseller.inject({ url: "/audit?type=api_token" })).body);
    t.ok(tableRows(theirs).every((r) => /Softswitch Kyiv/.test(r[3]!)), "a reseller's user sees only their reseller's tokens' events");
    t.notOk(theirs.querySelector('a[href="/api-tokens"]'), "with no link to a page they cannot open");
  });

  t.test("nobody but an admin sees the page, or can change anything", async (t) => {
    const reseller = await signInAs({ role: "reseller", resellerId: acme.id });
    const support = await signInAs({ role: "support" });
    const target = await makeApiToken(db, { name: "Untouchable" });
    const before = await db.apiToken.count();
    for (const [who, browser] of [["reseller", reseller], ["support", support]] as const) {
      for (const url of ["/api-tokens", "/api-tokens/new", `/api-tokens/${target.id}/revoke`]) {
        t.equal((await browser.inject({ url })).statusCode, 404, `${who}: GET ${url}`);
      }
      const write = who === "support" ? 403 : 404;
      t.equal((await post("/api-tokens/new", { name: "Sneaky" }, browser)).statusCode, write, `${who}: POST /api-tokens/new`);
      t.equal((await post(`/api-tokens/${target.id}/revoke`, {}, browser)).statusCode, write, `${who}: POST revoke`);
      t.notOk(html((await browser.inject({ url: "/dids" })).body).querySelector('a[href="/api-tokens"]'), `${who}: no menu link`);
    }
    t.equal(await db.apiToken.count(), before, "nothing created");
    t.equal((await db.apiToken.findUniqueOrThrow({ where: { id: target.id } })).revokedAt, null, "nothing revoked");
  });
});
