// The Packages tab: list, search, paging, create, edit, delete; every bad input; scope;
// read-only support; audit events; the delete refused while a subscription refers to it.
import t from "tap";
import type { Test } from "tap";
import type { Db } from "../../src/db/prisma.js";
import { buildTestApp, form, html, htmx, tableRows, text, type Browser } from "../helpers/app.js";
import { expectAuditEvents } from "../helpers/audit.js";
import { makeClientAccount, makeOperator, makeReseller } from "../helpers/factories.js";

const columns = ["ID", "Name", "Reseller", "DID limit", "Allowed tags", "Default hold days", "Active subscriptions", "Actions"];

async function makePackage(db: Db, resellerId: number, name: string, extra: { didLimit?: number; allowedTags?: string[]; defaultHoldDays?: number } = {}) {
  return db.package.create({ data: { name, resellerId, didLimit: extra.didLimit ?? 10, allowedTags: extra.allowedTags ?? [], defaultHoldDays: extra.defaultHoldDays ?? 0 } });
}

/** A client with an account, subscribed to the package; the subscription holds `numbers` (DIDs of a new operator). */
async function subscribe(db: Db, pkg: { id: number; resellerId: number }, options: { active?: boolean; numbers?: string[] } = {}) {
  const account = await makeClientAccount(db, pkg.resellerId);
  const subscription = await db.subscription.create({
    data: { clientId: account.clientId, packageId: pkg.id, resellerId: pkg.resellerId, startDate: new Date("2026-01-01"), active: options.active ?? true, deactivatedAt: options.active === false ? new Date() : null },
  });
  if (options.numbers) {
    const operator = await makeOperator(db, { resellerId: pkg.resellerId });
    await db.did.createMany({ data: options.numbers.map((number) => ({ number, operatorId: operator.id, status: "active" as const, clientAccountId: account.id, subscriptionId: subscription.id })) });
  }
  return subscription;
}

const fields = (overrides: Record<string, string> = {}) => ({ name: "Package", did_limit: "10", allowed_tags: "", default_hold_days: "0", ...overrides });

/** Posts as a page and as htmx; both must answer 422 with `message` at the field. */
async function expectRefused(t: Test, browser: Browser, url: string, body: Record<string, string>, field: string, message: RegExp) {
  for (const headers of [{}, htmx]) {
    const f = form(body);
    const res = await browser.inject({ method: "POST", url, payload: f.payload, headers: { ...f.headers, ...headers } });
    const what = `${JSON.stringify(body).slice(0, 80)}${headers === htmx ? " (htmx)" : ""}`;
    t.equal(res.statusCode, 422, what);
    t.match(text(html(res.body).querySelector(`#${field}-error`)), message, what);
    if (headers === htmx) t.notMatch(res.body, /<html/, "a fragment for htmx");
  }
}

/** Waits until a session of this test's database waits for a lock (an insert blocked on the unique index by an open transaction). */
async function untilSomeoneWaits(db: Db) {
  for (let i = 0; i < 200; i++) {
    const [row] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if ((row?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("no request came to wait for the lock");
}

t.test("packages", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const globex = await makeReseller(db, "Globex");
  const gold = await makePackage(db, acme.id, "Gold", { didLimit: 100, allowedTags: ["vip", "gold"], defaultHoldDays: 30 });
  const silver = await makePackage(db, acme.id, "Silver 50%", { didLimit: 5 });
  const basic = await makePackage(db, globex.id, "Basic", { didLimit: 1 });
  await subscribe(db, gold);
  await subscribe(db, gold);
  await subscribe(db, gold, { active: false });

  t.test("list: columns, counts, tags, page and fragment", async (t) => {
    const res = await admin.inject({ url: "/packages" });
    t.equal(res.statusCode, 200);
    t.match(res.headers.vary, /HX-Request/);
    t.match(res.body, /<html/);
    const doc = html(res.body);
    t.same(doc.querySelectorAll("table.list thead th").map((th) => text(th)), columns);
    t.same(
      tableRows(doc).map((r) => r.slice(0, 7)),
      [
        [String(basic.id), "Basic", "Globex", "1", "Any", "0", "0"],
        [String(gold.id), "Gold", "Acme", "100", "vip, gold", "30", "2"],
        [String(silver.id), "Silver 50%", "Acme", "5", "Any", "0", "0"],
      ],
      "sorted by name; only active subscriptions counted",
    );
    t.equal(text(doc.querySelector(".summary")), "3 packages");
    t.ok(doc.querySelector('nav a[href="/packages"][aria-current="page"]'), "the Packages tab is current");
    const nav = doc.querySelectorAll("nav[aria-label='Sections'] a").map((a) => text(a));
    t.equal(nav[nav.indexOf("Operators") + 1], "Packages", "right after Operators in the nav");
    t.ok(doc.querySelector(`a[href="/packages/${gold.id}/edit"][hx-get]`), "Edit opens the dialog");
    t.ok(doc.querySelector(`a[href="/packages/${gold.id}/delete"][hx-get]`), "and so does Delete");
    t.ok(doc.querySelector('a[href="/packages/new"]'), "New package");

    const fragment = await admin.inject({ url: "/packages?q=GOL&reseller=", headers: htmx });
    t.equal(fragment.statusCode, 200);
    t.notMatch(fragment.body, /<html/, "a fragment");
    t.ok(html(fragment.body).querySelector("#package-browser"), "the browser, which htmx swaps");
    t.equal(fragment.headers["hx-push-url"], "/packages?q=GOL", "the canonical URL is pushed");
    t.same(tableRows(html(fragment.body)).map((r) => r[1]), ["Gold"]);
  });

  t.test("search by name and reseller, literal wildcards, bad queries", async (t) => {
    const names = async (url: string) => tableRows(html((await admin.inject({ url })).body)).map((r) => r[1]);
    t.same(await names("/packages?q=il"), ["Silver 50%"]);
    t.same(await names(`/packages?reseller=${acme.id}`), ["Gold", "Silver 50%"]);
    t.same(await names(`/packages?q=a&reseller=${globex.id}`), ["Basic"]);
    t.same(await names("/packages?q=50%25"), ["Silver 50%"], "% is literal");
    t.same(await names("/packages?q=_"), [], "_ is literal");
    const none = html((await admin.inject({ url: "/packages?q=nothing-like-this" })).body);
    t.match(text(none.querySelector(".empty")), /No packages match/);
    const page = html((await admin.inject({ url: `/packages?q=old&reseller=${acme.id}` })).body);
    t.equal(page.querySelector("#pk-q")?.getAttribute("value"), "old", "the form shows the search");
    t.ok(page.querySelector(`#pk-reseller option[value="${acme.id}"][selected]`));
    for (const [url, field] of [["/packages?reseller=abc", "reseller"], ["/packages?reseller=99999", "reseller"], ["/packages?page=0", "page"], ["/packages?page=x", "page"], [`/packages?q=${"x".repeat(101)}`, "q"], ["/packages?q=a&q=b", "q"]] as const) {
      for (const headers of [{}, htmx]) {
        const res = await admin.inject({ url, headers });
        t.equal(res.statusCode, 400, url);
        t.ok(html(res.body).querySelector(`#${field}-error`), `${url}: the message is at the field`);
        t.equal(res.headers["hx-push-url"], undefined, "a bad search is not pushed");
      }
    }
  });

  t.test("paging keeps the search", async (t) => {
    const reseller = await makeReseller(db, "Paging Reseller");
    await db.package.createMany({ data: Array.from({ length: 53 }, (_, i) => ({ name: `Bulk ${String(i).padStart(2, "0")}`, resellerId: reseller.id, didLimit: 1 })) });
    const first = html((await admin.inject({ url: "/packages?q=bulk" })).body);
    t.equal(tableRows(first).length, 50);
    t.equal(text(first.querySelector(".summary")), "53 packages");
    t.equal(text(first.querySelector(".pager span")), "Page 1 of 2");
    const next = first.querySelector('.pager a[rel="next"]')?.getAttribute("href");
    t.equal(next, "/packages?q=bulk&page=2");
    const second = await admin.inject({ url: next!, headers: htmx });
    t.equal(second.headers["hx-push-url"], "/packages?q=bulk&page=2");
    t.same(tableRows(html(second.body)).map((r) => r[1]), ["Bulk 50", "Bulk 51", "Bulk 52"]);
    t.equal(html(second.body).querySelector('.pager a[rel="prev"]')?.getAttribute("href"), "/packages?q=bulk");
    await db.package.deleteMany({ where: { resellerId: reseller.id } });
  });

  t.test("create: page, dialog, success, audit event", async (t) => {
    const page = await admin.inject({ url: "/packages/new" });
    t.equal(page.statusCode, 200);
    const doc = html(page.body);
    t.same(doc.querySelectorAll("#p-reseller option").map((o) => text(o)), ["Choose…", "Acme", "Globex", "Paging Reseller"]);
    for (const id of ["p-name", "p-reseller", "p-did-limit", "p-tags", "p-hold-days"]) t.ok(doc.querySelector(`label[for="${id}"]`), `${id} has a label`);
    t.equal(doc.querySelector("#p-hold-days")?.getAttribute("value"), "0", "hold days start at 0");
    t.ok(html((await admin.inject({ url: `/packages/new?reseller=${globex.id}` })).body).querySelector(`#p-reseller option[value="${globex.id}"][selected]`), "?reseller= presets it");
    const dialog = await admin.inject({ url: "/packages/new", headers: htmx });
    t.notMatch(dialog.body, /<html/);
    t.ok(html(dialog.body).querySelector(".modal[role=dialog] form[hx-post='/packages/new']"), "the form in a dialog");
    t.equal(text(html(dialog.body).querySelector("#dialog-title")), "New package", "the dialog has a title");

    const { result: ok, events } = await expectAuditEvents(t, db, () =>
      admin.inject({ method: "POST", url: "/packages/new", ...form({ name: "  Platinum  ", reseller: String(acme.id), did_limit: " 250 ", allowed_tags: "vip, Gold vip,,  silver\tgold\nVIP", default_hold_days: "14" }) }),
      [{ action: "create", objectType: "package", resellerId: acme.id, label: "Platinum", actorName: "admin" }],
    );
    t.equal(ok.statusCode, 303);
    t.equal(ok.headers.location, "/packages");
    const created = await db.package.findFirstOrThrow({ where: { name: "Platinum" } });
    t.match(created, { resellerId: acme.id, didLimit: 250, defaultHoldDays: 14 });
    t.same(created.allowedTags, ["vip", "Gold", "silver", "gold", "VIP"], "split on commas and white space, duplicates removed, case kept");
    t.equal(events[0]!.objectId, created.id);
    t.same(events[0]!.changes, { name: [null, "Platinum"], reseller: [null, "Acme"], did_limit: [null, 250], allowed_tags: [null, "vip, Gold, silver, gold, VIP"], default_hold_days: [null, 14] });
    const cookie = String(ok.headers["set-cookie"]).split(";")[0]!;
    t.equal(text(html((await admin.inject({ url: "/packages", headers: { cookie } })).body).querySelector(".flash")), "Created package “Platinum”.");
    const history = html((await admin.inject({ url: `/audit?type=package&object=${created.id}` })).body);
    t.same(
      history.querySelectorAll("ul.changes li").map((li) => text(li)),
      ["Name: — → Platinum", "Reseller: — → Acme", "DID limit: — → 250", "Allowed tags: — → vip, Gold, silver, gold, VIP", "Default hold days: — → 14"],
      "the audit log shows the event, each field by its name",
    );

    const viaHtmx = await admin.inject({ method: "POST", url: "/packages/new", payload: form({ name: "Platinum", reseller: String(globex.id), did_limit: "0" }).payload, headers: { ...form({}).headers, ...htmx } });
    t.equal(viaHtmx.statusCode, 204, "the same name under another reseller is fine");
    t.equal(viaHtmx.headers["hx-redirect"], "/packages");
    t.match(await db.package.findFirstOrThrow({ where: { name: "Platinum", resellerId: globex.id } }), { didLimit: 0, allowedTags: [], defaultHoldDays: 0 }, "no tags: any DID; no hold days: 0");
  });

  t.test("create: every bad input answers 422 at its field and writes nothing", async (t) => {
    const before = await db.package.count();
    const beforeEvents = await db.auditEvent.count();
    const acmeFields = (overrides: Record<string, string>) => fields({ reseller: String(acme.id), ...overrides });
    const cases: [Record<string, string>, string, RegExp][] = [
      [acmeFields({ name: "" }), "name", /Name is required/],
      [acmeFields({ name: "   " }), "name", /Name is required/],
      [acmeFields({ name: "x".repeat(101) }), "name", /at most 100 characters \(this one has 101\)/],
      [acmeFields({ name: "Tab\there" }), "name", /control characters/],
      [acmeFields({ name: "Nul\u0000" }), "name", /control characters/],
      [acmeFields({ name: "gold" }), "name", /already has a package named “gold”/],
      [acmeFields({ name: "GOLD" }), "name", /already has a package named/],
      [fields({ reseller: "" }), "reseller", /Choose a reseller/],
      [fields({ reseller: "abc" }), "reseller", /whole number/],
      [fields({ reseller: "99999" }), "reseller", /does not exist/],
      [acmeFields({ did_limit: "-1" }), "did_limit", /DID limit must be from 0 to 1,000,000/],
      [acmeFields({ did_limit: "ten" }), "did_limit", /DID limit must be a whole number, not "ten"/],
      [acmeFields({ did_limit: "1.5" }), "did_limit", /whole number/],
      [acmeFields({ did_limit: "1000001" }), "did_limit", /from 0 to 1,000,000/],
      [acmeFields({ did_limit: "99999999999" }), "did_limit", /whole number/],
      [acmeFields({ did_limit: "" }), "did_limit", /DID limit is required/],
      [acmeFields({ allowed_tags: `ok ${"t".repeat(65)}` }), "allowed_tags", /at most 64 characters .* has 65/],
      [acmeFields({ allowed_tags: "ok bad\u0001tag" }), "allowed_tags", /control characters/],
      [acmeFields({ allowed_tags: Array.from({ length: 51 }, (_, i) => `t${i}`).join(",") }), "allowed_tags", /At most 50 tags \(this list has 51\)/],
      [acmeFields({ default_hold_days: "-1" }), "default_hold_days", /from 0 to 3,650/],
      [acmeFields({ default_hold_days: "3651" }), "default_hold_days", /from 0 to 3,650/],
      [acmeFields({ default_hold_days: "a week" }), "default_hold_days", /whole number/],
    ];
    for (const [body, field, message] of cases) await expectRefused(t, admin, "/packages/new", body, field, message);
    t.equal(await db.package.count(), before, "no package written");
    t.equal(await db.auditEvent.count(), beforeEvents, "no event written");

    const refused = html((await admin.inject({ method: "POST", url: "/packages/new", ...form(acmeFields({ name: "Kept", did_limit: "ten", allowed_tags: "a, b" })) })).body);
    t.equal(refused.querySelector("#p-name")?.getAttribute("value"), "Kept", "the input is kept");
    t.equal(refused.querySelector("#p-did-limit")?.getAttribute("value"), "ten", "as typed, to correct it");
    t.equal(refused.querySelector("#p-did-limit")?.getAttribute("aria-invalid"), "true");
    t.match(refused.querySelector("#p-did-limit")?.getAttribute("aria-describedby") ?? "", /did_limit-error/);
    t.equal(refused.querySelector("#p-tags")?.getAttribute("value"), "a, b");
    t.ok(refused.querySelector(`#p-reseller option[value="${acme.id}"][selected]`));

    const several = await admin.inject({ method: "POST", url: "/packages/new", ...form(fields({ name: "", reseller: "", did_limit: "x", default_hold_days: "-5" })) });
    const doc = html(several.body);
    t.same(["name", "reseller", "did_limit", "default_hold_days"].map((f) => Boolean(doc.querySelector(`#${f}-error`))), [true, true, true, true], "every problem at once");

    const duplicated = await admin.inject({ method: "POST", url: "/packages/new", ...form({ ...acmeFields({ name: "Dup" }), did_limit: ["1", "2"] }) });
    t.equal(duplicated.statusCode, 422, "a field given twice");
    t.match(text(html(duplicated.body).querySelector("#did_limit-error")), /once/);
    const tooLarge = await admin.inject({ method: "POST", url: "/packages/new", ...form(acmeFields({ name: "x".repeat(70_000) })) });
    t.equal(tooLarge.statusCode, 413, "a body over the form limit");
    const raw = (payload: string) => ({ payload: `${payload}&_csrf=${encodeURIComponent(admin.csrfToken)}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const undecodable = await admin.inject({ method: "POST", url: "/packages/new", ...raw(`name=Bytes&reseller=${acme.id}&did_limit=1&allowed_tags=%FF%FE`) });
    t.equal(undecodable.statusCode, 422, "bytes that are not text");
    t.match(text(html(undecodable.body).querySelector("#allowed_tags-error")), /not valid text/);
    const f = form(acmeFields({ name: "No token" }));
    t.equal((await admin.inject({ method: "POST", url: "/packages/new", payload: f.payload, headers: { ...f.headers, "x-csrf-token": "" } })).statusCode, 403, "no CSRF token");
    t.equal((await admin.inject({ method: "POST", url: `/packages/${silver.id}/delete`, headers: { "x-csrf-token": "" } })).statusCode, 403);
    t.equal(await db.package.count(), before, "still nothing written");
  });

  t.test("create: two requests for one name at once, the unique index decides", async (t) => {
    let res: Awaited<ReturnType<Browser["inject"]>> | undefined;
    await db.$transaction(async (tx) => {
      await tx.package.create({ data: { name: "Racing", resellerId: acme.id, didLimit: 1 } });
      // The request's own check cannot see this uncommitted row, so its insert waits on the
      // index. (An inject is sent once something awaits it: Promise.resolve does.)
      const request = Promise.resolve(admin.inject({ method: "POST", url: "/packages/new", ...form(fields({ name: "RACING", reseller: String(acme.id) })) }));
      await untilSomeoneWaits(db);
      void request.then((r) => (res = r));
    });
    while (!res) await new Promise((resolve) => setTimeout(resolve, 10));
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#name-error")), /already has a package named “RACING”/);
    t.equal(await db.package.count({ where: { resellerId: acme.id, name: { equals: "racing", mode: "insensitive" } } }), 1);
  });

  t.test("edit: page, dialog, save, audit of what changed", async (t) => {
    const pkg = await makePackage(db, acme.id, "Bronze", { didLimit: 20, allowedTags: ["a", "b"], defaultHoldDays: 7 });
    const page = await admin.inject({ url: `/packages/${pkg.id}/edit` });
    t.equal(page.statusCode, 200);
    const doc = html(page.body);
    t.equal(text(doc.querySelector("h1")), "Edit package Bronze");
    t.same(
      ["#p-name", "#p-did-limit", "#p-tags", "#p-hold-days"].map((s) => doc.querySelector(s)?.getAttribute("value")),
      ["Bronze", "20", "a, b", "7"],
      "the form holds the package",
    );
    const reseller = doc.querySelector("#p-reseller");
    t.equal(reseller?.getAttribute("value"), "Acme", "the reseller is shown");
    t.ok(reseller?.hasAttribute("readonly"), "read only");
    t.notOk(reseller?.hasAttribute("name"), "and not sent");
    t.ok(doc.querySelector(`label[for="p-reseller"]`));
    t.ok(doc.querySelector(`a[href="/audit?type=package&object=${pkg.id}"]`), "a link to its history");
    const dialog = await admin.inject({ url: `/packages/${pkg.id}/edit`, headers: htmx });
    t.notMatch(dialog.body, /<html/);
    t.equal(text(html(dialog.body).querySelector("#dialog-title")), "Edit package Bronze");
    t.ok(html(dialog.body).querySelector(`.modal form[hx-post="/packages/${pkg.id}/edit"]`));

    const { result: saved, events } = await expectAuditEvents(
      t,
      db,
      () => admin.inject({ method: "POST", url: `/packages/${pkg.id}/edit`, ...form(fields({ name: "Bronze Plus", did_limit: "20", allowed_tags: "b c", default_hold_days: "0" })) }),
      [{ action: "edit", objectType: "package", objectId: pkg.id, resellerId: acme.id, label: "Bronze Plus" }],
    );
    t.equal(saved.statusCode, 303);
    t.same(events[0]!.changes, { name: ["Bronze", "Bronze Plus"], allowed_tags: ["a, b", "b, c"], default_hold_days: [7, 0] }, "only the fields that changed, old -> new");
    t.match(await db.package.findUniqueOrThrow({ where: { id: pkg.id } }), { name: "Bronze Plus", resellerId: acme.id, didLimit: 20, allowedTags: ["b", "c"], defaultHoldDays: 0 });
    const cookie = String(saved.headers["set-cookie"]).split(";")[0]!;
    t.equal(text(html((await admin.inject({ url: "/packages", headers: { cookie } })).body).querySelector(".flash")), "Saved package “Bronze Plus”.");

    await expectAuditEvents(t, db, async () => {
      const body = form(fields({ name: "Bronze Plus", did_limit: "20", allowed_tags: "b,c", default_hold_days: "0" }));
      const again = await admin.inject({ method: "POST", url: `/packages/${pkg.id}/edit`, payload: body.payload, headers: { ...body.headers, ...htmx } });
      t.equal(again.statusCode, 204);
    }, 0, "saving it unchanged records nothing");
    const cleared = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: `/packages/${pkg.id}/edit`, ...form(fields({ name: "bronze plus", did_limit: "20", allowed_tags: "" })) }), 1, "a change of case only");
    t.equal(cleared.result.statusCode, 303, "its own name in another case is not taken");
    t.same(cleared.events[0]!.changes, { name: ["Bronze Plus", "bronze plus"], allowed_tags: ["b, c", null] });
    const same = await admin.inject({ method: "POST", url: `/packages/${pkg.id}/edit`, ...form(fields({ name: "bronze plus", reseller: String(acme.id) })) });
    t.equal(same.statusCode, 303, "its own reseller may be sent");
  });

  t.test("edit: bad input, another reseller, a limit below what a subscription holds", async (t) => {
    const pkg = await makePackage(db, acme.id, "Editable", { didLimit: 10 });
    const url = `/packages/${pkg.id}/edit`;
    const cases: [Record<string, string>, string, RegExp][] = [
      [fields({ name: "" }), "name", /Name is required/],
      [fields({ name: "x".repeat(101) }), "name", /at most 100/],
      [fields({ name: "Bad\u001b[31m" }), "name", /control characters/],
      [fields({ name: "SILVER 50%" }), "name", /already has a package named/],
      [fields({ name: "Editable", did_limit: "-1" }), "did_limit", /from 0 to 1,000,000/],
      [fields({ name: "Editable", did_limit: "ten" }), "did_limit", /whole number/],
      [fields({ name: "Editable", did_limit: "" }), "did_limit", /required/],
      [fields({ name: "Editable", allowed_tags: "x".repeat(65) }), "allowed_tags", /at most 64/],
      [fields({ name: "Editable", allowed_tags: Array.from({ length: 60 }, (_, i) => `t${i}`).join(" ") }), "allowed_tags", /At most 50 tags/],
      [fields({ name: "Editable", default_hold_days: "3651" }), "default_hold_days", /from 0 to 3,650/],
      [fields({ name: "Editable", reseller: String(globex.id) }), "reseller", /stays with its reseller/],
      [fields({ name: "Editable", reseller: "abc" }), "reseller", /whole number/],
    ];
    for (const [body, field, message] of cases) await expectRefused(t, admin, url, body, field, message);
    const refused = html((await admin.inject({ method: "POST", url, ...form(fields({ name: "Editable", reseller: String(globex.id) })) })).body);
    t.equal(refused.querySelector("#p-reseller")?.getAttribute("value"), "Acme", "the page still shows its own reseller");
    t.match(await db.package.findUniqueOrThrow({ where: { id: pkg.id } }), { name: "Editable", resellerId: acme.id, didLimit: 10 }, "unchanged");

    await subscribe(db, pkg, { numbers: ["380501000001", "380501000002", "380501000003"] });
    await subscribe(db, pkg, { numbers: ["380501000004"] });
    await expectRefused(t, admin, url, fields({ name: "Editable", did_limit: "2" }), "did_limit", /A subscription to this package already holds 3 DIDs: the limit cannot go below 3\./);
    t.equal((await db.package.findUniqueOrThrow({ where: { id: pkg.id } })).didLimit, 10);
    const toThree = await admin.inject({ method: "POST", url, ...form(fields({ name: "Editable", did_limit: "3" })) });
    t.equal(toThree.statusCode, 303, "down to what the fullest subscription holds is fine");
    t.equal((await db.package.findUniqueOrThrow({ where: { id: pkg.id } })).didLimit, 3);

    for (const [path, status] of [["/packages/abc/edit", 400], ["/packages/0/edit", 400], ["/packages/999999/edit", 404]] as const) {
      t.equal((await admin.inject({ url: path })).statusCode, status, `GET ${path}`);
      t.equal((await admin.inject({ method: "POST", url: path, ...form(fields({ name: "Anything" })) })).statusCode, status, `POST ${path}`);
    }
  });

  t.test("edit: a rename racing a create of the same name", async (t) => {
    const pkg = await makePackage(db, globex.id, "Before race");
    let res: Awaited<ReturnType<Browser["inject"]>> | undefined;
    await db.$transaction(async (tx) => {
      await tx.package.create({ data: { name: "Raced name", resellerId: globex.id, didLimit: 1 } });
      const request = Promise.resolve(admin.inject({ method: "POST", url: `/packages/${pkg.id}/edit`, ...form(fields({ name: "raced NAME" })) }));
      await untilSomeoneWaits(db);
      void request.then((r) => (res = r));
    });
    while (!res) await new Promise((resolve) => setTimeout(resolve, 10));
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#name-error")), /already has a package named “raced NAME”/);
    t.equal((await db.package.findUniqueOrThrow({ where: { id: pkg.id } })).name, "Before race");
  });

  t.test("delete: confirm, delete, audit; refused while a subscription refers to it", async (t) => {
    const spare = await makePackage(db, acme.id, "Spare", { didLimit: 3, allowedTags: ["x"], defaultHoldDays: 2 });
    const confirm = await admin.inject({ url: `/packages/${spare.id}/delete` });
    t.equal(confirm.statusCode, 200);
    t.match(text(html(confirm.body).querySelector(".panel")), /Delete package Spare of reseller Acme\? No subscription uses it\./);
    const dialog = await admin.inject({ url: `/packages/${spare.id}/delete`, headers: htmx });
    t.ok(html(dialog.body).querySelector(".modal form[hx-post]"));
    t.equal(text(html(dialog.body).querySelector("#dialog-title")), "Delete package Spare");
    const { result: done } = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: `/packages/${spare.id}/delete`, headers: htmx }), [
      { action: "delete", objectType: "package", objectId: spare.id, resellerId: acme.id, label: "Spare", changes: { name: ["Spare", null], reseller: ["Acme", null], did_limit: [3, null], allowed_tags: ["x", null], default_hold_days: [2, null] } },
    ]);
    t.equal(done.statusCode, 204);
    t.equal(done.headers["hx-redirect"], "/packages");
    t.equal(await db.package.count({ where: { id: spare.id } }), 0);
    const plain = await makePackage(db, acme.id, "Plain");
    const page = await admin.inject({ method: "POST", url: `/packages/${plain.id}/delete` });
    t.equal(page.statusCode, 303);
    t.equal(page.headers.location, "/packages");
    const cookie = String(page.headers["set-cookie"]).split(";")[0]!;
    t.equal(text(html((await admin.inject({ url: "/packages", headers: { cookie } })).body).querySelector(".flash")), "Deleted package “Plain”.");

    const refused = await admin.inject({ url: `/packages/${gold.id}/delete` });
    t.equal(refused.statusCode, 200);
    t.equal(text(html(refused.body).querySelector(".error-box")), "Package “Gold” is used by 3 subscriptions (2 active), so it cannot be deleted. Its subscriptions must be removed first.");
    t.notOk(html(refused.body).querySelector("form[action$='/delete']"), "no delete button is offered");
    for (const headers of [{}, htmx]) {
      const post = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: `/packages/${gold.id}/delete`, headers }), 0, "a refusal records nothing");
      t.equal(post.result.statusCode, 409);
      t.match(text(html(post.result.body).querySelector(".error-box")), /used by 3 subscriptions/);
    }
    const single = await makePackage(db, globex.id, "Single");
    await subscribe(db, single, { active: false });
    t.match(text(html((await admin.inject({ method: "POST", url: `/packages/${single.id}/delete` })).body).querySelector(".error-box")), /used by 1 subscription \(0 active\)/, "an ended subscription counts too");
    t.equal(await db.package.count({ where: { id: { in: [gold.id, single.id] } } }), 2);

    t.equal((await admin.inject({ url: "/packages/abc/delete" })).statusCode, 400);
    t.equal((await admin.inject({ url: "/packages/999999/delete" })).statusCode, 404);
    t.equal((await admin.inject({ method: "POST", url: "/packages/999999/delete" })).statusCode, 404);
    t.equal((await admin.inject({ method: "POST", url: "/packages/1x/delete" })).statusCode, 400);
  });

  t.test("scope: a reseller's user sees and changes only their own packages", async (t) => {
    const user = await signInAs({ role: "reseller", resellerId: globex.id });
    const list = html((await user.inject({ url: "/packages" })).body);
    t.ok(tableRows(list).every((r) => r[2] === "Globex"), "only Globex's packages");
    t.ok(tableRows(list).some((r) => r[1] === "Basic"));
    t.same(list.querySelectorAll("#pk-reseller option").map((o) => text(o)), ["Any", "Globex"]);
    t.notMatch(list.toString(), /Acme|Gold/);
    const foreignFilter = await user.inject({ url: `/packages?reseller=${acme.id}` });
    t.equal(foreignFilter.statusCode, 400);
    t.match(text(html(foreignFilter.body).querySelector("#reseller-error")), new RegExp(`There is no reseller with ID ${acme.id}`));

    const newPage = html((await user.inject({ url: "/packages/new" })).body);
    t.same(newPage.querySelectorAll("#p-reseller option").map((o) => `${text(o)}${o.hasAttribute("selected") ? " (selected)" : ""}`), ["Globex (selected)"], "preset to their own");
    const own = await user.inject({ method: "POST", url: "/packages/new", ...form(fields({ name: "Globex own" })) });
    t.equal(own.statusCode, 303, "the reseller field may be left out");
    t.equal((await db.package.findFirstOrThrow({ where: { name: "Globex own" } })).resellerId, globex.id);
    await expectRefused(t, user, "/packages/new", fields({ name: "Sneaky", reseller: String(acme.id) }), "reseller", /That reseller does not exist/);
    t.equal(await db.package.count({ where: { name: "Sneaky" } }), 0);

    for (const url of [`/packages/${gold.id}/edit`, `/packages/${gold.id}/delete`]) {
      const res = await user.inject({ url });
      t.equal(res.statusCode, 404, url);
      t.notMatch(res.body, /Gold|Acme/);
    }
    t.equal((await user.inject({ method: "POST", url: `/packages/${silver.id}/edit`, ...form(fields({ name: "Taken over" })) })).statusCode, 404);
    t.equal((await user.inject({ method: "POST", url: `/packages/${silver.id}/delete` })).statusCode, 404);
    t.match(await db.package.findUniqueOrThrow({ where: { id: silver.id } }), { name: "Silver 50%", resellerId: acme.id }, "untouched");
    const ownEdit = await user.inject({ method: "POST", url: `/packages/${basic.id}/edit`, ...form(fields({ name: "Basic", did_limit: "2" })) });
    t.equal(ownEdit.statusCode, 303, "their own can be edited");
    t.equal((await db.package.findUniqueOrThrow({ where: { id: basic.id } })).didLimit, 2);
  });

  t.test("support reads only", async (t) => {
    const support = await signInAs({ role: "support" });
    const list = await support.inject({ url: "/packages" });
    t.equal(list.statusCode, 200);
    const doc = html(list.body);
    t.ok(tableRows(doc).length > 0);
    t.notOk(doc.querySelector('a[href="/packages/new"], a[href$="/edit"], a[href$="/delete"]'), "no New, Edit or Delete");
    for (const url of ["/packages/new", `/packages/${gold.id}/edit`, `/packages/${gold.id}/delete`]) t.equal((await support.inject({ url })).statusCode, 403, url);
    const before = await db.package.count();
    t.equal((await support.inject({ method: "POST", url: "/packages/new", ...form(fields({ name: "No", reseller: String(acme.id) })) })).statusCode, 403);
    t.equal((await support.inject({ method: "POST", url: `/packages/${silver.id}/edit`, ...form(fields({ name: "No" })) })).statusCode, 403);
    t.equal((await support.inject({ method: "POST", url: `/packages/${silver.id}/delete` })).statusCode, 403);
    t.equal(await db.package.count(), before);
    t.equal((await db.package.findUniqueOrThrow({ where: { id: silver.id } })).name, "Silver 50%");
  });
});
