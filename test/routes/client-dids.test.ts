// A client's Subscriptions and DIDs tabs through HTTP, as pages (no JavaScript) and as
// htmx fragments: subscribing, picking DIDs (search, ticks, a range, the package's limit
// and tags), block / unblock / move / release, deactivation and reactivation, and the
// hold scheduler (its job, with the clock moved on) returning DIDs to their after-hold status.
import t from "tap";
import { holdScheduler } from "../../src/modules/assignments/hold-scheduler.jobs.js";
import { ManualClock } from "../../src/shared/clock.js";
import { buildTestApp, form, html, htmx, tableRows, text } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator, makePackage, makeReseller } from "../helpers/factories.js";

t.test("a client's subscriptions and DIDs", async (t) => {
  const clock = new ManualClock(new Date("2026-11-27T10:00:00Z"));
  const { db, admin, signInAs } = await buildTestApp(t, {}, { clock });
  const acme = await makeReseller(db, "Acme");
  const other = await makeReseller(db, "Other");
  const op = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const account = await makeClientAccount(db, acme.id, { client: "Hotel Kyiv", account: "Front desk" });
  const second = await db.clientAccount.create({ data: { name: "Back office", clientId: account.clientId, resellerId: acme.id } });
  const pkg = await makePackage(db, acme.id, { name: "Gold 3", didLimit: 3, allowedTags: ["gold"], defaultHoldDays: 30 });
  await makePackage(db, other.id, { name: "Foreign" });
  const foreignPkg = await db.package.findFirstOrThrow({ where: { name: "Foreign" } });
  const gold = await makeDids(db, op.id, ["380441000001", "380441000002", "380441000003", "380441000004"], { tag: "gold" });
  await makeDids(db, op.id, ["380441000005"], { tag: "silver" });
  const clientId = account.clientId;
  const post = (url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
    admin.inject({ method: "POST", url, ...form(fields), headers: { ...form(fields).headers, ...headers } });

  t.test("no subscription yet: the DIDs tab says what is missing", async (t) => {
    const page = html((await admin.inject({ url: `/clients/${clientId}/dids` })).body);
    t.notOk(page.querySelector(`a[href="/clients/${clientId}/dids/add"]`), "no Add DIDs");
    t.match(text(page.querySelector("#client-dids")), /needs an account and a subscription in force/);
    t.same(page.querySelectorAll("nav.tabs a").map((a) => text(a)), ["Client", "Subscriptions", "DIDs"]);
    t.equal(page.querySelector("nav.tabs a[aria-current=page]")?.getAttribute("href"), `/clients/${clientId}/dids`);
  });

  t.test("subscribing: bad input is named next to its field, nothing written", async (t) => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{}, "package", /Choose a package/],
      [{ package: String(pkg.id), start_date: "2026-02-30" }, "start_date", /date as YYYY-MM-DD/],
      [{ package: String(pkg.id), start_date: "2026-11-27", end_date: "2026-11-01" }, "end_date", /cannot be before the start date/],
      [{ package: String(foreignPkg.id) }, "package", /packages of this client's reseller/],
      [{ package: "abc" }, "package", /whole number ID/],
    ];
    for (const [fields, field, message] of cases) {
      const res = await post(`/clients/${clientId}/subscriptions`, fields);
      t.equal(res.statusCode, 422, JSON.stringify(fields));
      t.match(text(html(res.body).querySelector(`#${field}-error`)), message, JSON.stringify(fields));
    }
    t.equal(await db.subscription.count(), 0);
  });

  t.test("subscribing, then picking DIDs the package allows", async (t) => {
    const added = await post(`/clients/${clientId}/subscriptions`, { package: String(pkg.id), start_date: "2026-11-01" });
    t.equal(added.statusCode, 303);
    const subscription = await db.subscription.findFirstOrThrow({ where: { clientId } });
    const tab = html((await admin.inject({ url: `/clients/${clientId}/subscriptions` })).body);
    t.same(tableRows(tab)[0]!.slice(0, 5), ["Gold 3", "2026-11-01", "none", "Active", "0 of 3"]);

    const picker = html((await admin.inject({ url: `/clients/${clientId}/dids/add` })).body);
    t.match(text(picker.querySelector("#picker-left")), /3 of 3 left in the subscription to Gold 3; only DIDs tagged gold/);
    t.same(tableRows(picker).map((r) => r[1]), ["380441000001", "380441000002", "380441000003", "380441000004"], "silver is not offered");
    const searched = await admin.inject({ url: `/clients/${clientId}/dids/add?subscription=${subscription.id}&number=0003`, headers: htmx });
    t.equal(searched.headers["hx-push-url"], `/clients/${clientId}/dids/add?subscription=${subscription.id}&number=0003`, "the search is in the URL");
    t.notMatch(searched.body, /<html/);
    t.same(tableRows(html(searched.body)).map((r) => r[1]), ["380441000003"]);
    t.equal((await admin.inject({ url: `/clients/${clientId}/dids/add?number=abc` })).statusCode, 400);
    const keptAccount = html((await admin.inject({ url: `/clients/${clientId}/dids/add?account=${second.id}&number=0004`, headers: htmx })).body);
    t.equal(keptAccount.querySelector("#p-account option[selected]")?.getAttribute("value"), String(second.id), "a search keeps the chosen account");
    t.equal(keptAccount.querySelector('form[method=post] input[name=number]')?.getAttribute("value"), "0004", "the pick form carries the search");

    const tooMany = await post(`/clients/${clientId}/dids/add`, { account: String(account.id), subscription: String(subscription.id), did: gold.map((d) => String(d.id)) });
    t.equal(tooMany.statusCode, 409);
    t.match(text(html(tooMany.body).querySelector(".error-box")), /allows 3 more of its 3 DIDs; 4 were picked\. Nothing was assigned/);
    const silver = await db.did.findFirstOrThrow({ where: { tag: "silver" } });
    const refused = await post(`/clients/${clientId}/dids/add`, { account: String(account.id), subscription: String(subscription.id), did: [String(gold[0]!.id), String(silver.id)] });
    t.equal(refused.statusCode, 409);
    t.match(text(html(refused.body).querySelector(".error-box")), /380441000005: does not carry a tag the package allows/);
    t.equal(await db.did.count({ where: { status: "active" } }), 0, "nothing assigned");
    const both = await post(`/clients/${clientId}/dids/add`, { account: String(account.id), subscription: String(subscription.id), did: String(gold[0]!.id), range: "380441000001-380441000002" });
    t.equal(both.statusCode, 422);
    t.match(text(html(both.body).querySelector("#range-error")), /not both/);
    t.equal((await post(`/clients/${clientId}/dids/add`, { account: String(account.id), subscription: String(subscription.id) })).statusCode, 422, "nothing ticked");

    const picked = await post(`/clients/${clientId}/dids/add`, { account: String(account.id), subscription: String(subscription.id), did: [String(gold[0]!.id), String(gold[1]!.id)] });
    t.equal(picked.statusCode, 303);
    t.equal(picked.headers.location, `/clients/${clientId}/dids`);
    const byRange = await post(`/clients/${clientId}/dids/add`, { account: String(second.id), subscription: String(subscription.id), range: "380441000001-380441000004" }, htmx);
    t.equal(byRange.statusCode, 409, "the range holds two pickable DIDs, one more than is left");
    t.equal((await post(`/clients/${clientId}/dids/add`, { account: String(second.id), subscription: String(subscription.id), range: "380441000003-380441000003" }, htmx)).headers["hx-redirect"], `/clients/${clientId}/dids`);

    const dids = html((await admin.inject({ url: `/clients/${clientId}/dids` })).body);
    t.match(decodeURIComponent(String(picked.headers["set-cookie"])), /Assigned 2 DIDs: they are active/, "the tab opens with what happened");
    t.same(tableRows(dids).map((r) => r.slice(0, 4)), [
      ["380441000001", "Front desk", "Gold 3", "Active"],
      ["380441000002", "Front desk", "Gold 3", "Active"],
      ["380441000003", "Back office", "Gold 3", "Active"],
    ]);
    t.match(text(html((await admin.inject({ url: `/clients/${clientId}/dids/add` })).body).querySelector("#picker-left")), /0 of 3 left/);

    // The inventory filters by account and by package; the Client column says client / account.
    const numbersOf = async (url: string) => tableRows(html((await admin.inject({ url })).body)).map((r) => `${r[3]} ${r[6]}`);
    t.same(await numbersOf(`/dids?account=${second.id}`), ["380441000003 Hotel Kyiv / Back office"]);
    t.same(await numbersOf(`/dids?package=${pkg.id}`), ["380441000001 Hotel Kyiv / Front desk", "380441000002 Hotel Kyiv / Front desk", "380441000003 Hotel Kyiv / Back office"]);
    const withClient = html((await admin.inject({ url: `/dids?client=${clientId}` })).body);
    t.same(withClient.querySelectorAll("#s-account option").map((o) => text(o)), ["Any", "Back office", "Front desk"], "a chosen client offers its accounts");
    t.ok(withClient.querySelector(`#s-package option[value="${pkg.id}"]`));
    for (const [url, field, message] of [[`/dids?package=${foreignPkg.id + 1000}`, "package", /no package with ID/], ["/dids?account=abc", "account", /whole number ID/], ["/dids?account=999999", "account", /no client account with ID/]] as const) {
      const res = await admin.inject({ url });
      t.equal(res.statusCode, 400, url);
      t.match(text(html(res.body).querySelector(`#${field}-error`)), message, url);
    }
    const stranger = await signInAs({ role: "reseller", resellerId: other.id });
    t.equal((await stranger.inject({ url: `/dids?package=${pkg.id}` })).statusCode, 400, "another reseller's package is unknown");
  });

  t.test("per DID: block, unblock, move, release; without and with JavaScript", async (t) => {
    const [first, secondDid] = await db.did.findMany({ where: { status: "active" }, orderBy: { number: "asc" } });
    const act = (didId: number, fields: Record<string, string>, headers: Record<string, string> = {}) => post(`/clients/${clientId}/dids/${didId}`, fields, headers);
    const blocked = await act(first!.id, { action: "block" });
    t.equal(blocked.statusCode, 303);
    t.equal((await db.did.findUniqueOrThrow({ where: { id: first!.id } })).status, "blocked");
    const again = await act(first!.id, { action: "block" }, htmx);
    t.equal(again.statusCode, 409);
    t.match(text(html(again.body).querySelector("#client-dids .error-box")), /not active/, "the tab comes back with the reason");
    const unblocked = await act(first!.id, { action: "unblock" }, htmx);
    t.equal(unblocked.statusCode, 200);
    t.match(text(html(unblocked.body).querySelector("#client-dids .flash")), /Unblocked DID 380441000001/);
    t.equal((await act(first!.id, { action: "move", account: String(second.id) })).statusCode, 303);
    t.equal((await db.did.findUniqueOrThrow({ where: { id: first!.id } })).clientAccountId, second.id);
    t.equal((await act(first!.id, { action: "explode" })).statusCode, 422);
    // An assigned DID stays with its client's reseller: an admin's edit cannot move it to another's operator.
    const foreignOp = await makeOperator(db, { name: "Foreign operator", resellerId: other.id });
    const moved = await post(`/dids/${first!.id}/edit`, { operator: String(foreignOp.id), status: "active", after_hold: "in_stock", hold_days: "0" });
    t.equal(moved.statusCode, 422);
    t.match(text(html(moved.body).querySelector("#operator-error")), /can move only to an operator of the same reseller until it is released/);
    t.equal((await db.did.findUniqueOrThrow({ where: { id: first!.id } })).operatorId, op.id);
    t.equal((await act(first!.id, { action: "move", account: "999999" }, htmx)).statusCode, 422);
    const released = await act(secondDid!.id, { action: "release" }, htmx);
    t.match(text(html(released.body).querySelector(".flash")), /Released DID 380441000002: now hold/);
    const row = tableRows(html(released.body)).find((r) => r[0] === "380441000002")!;
    t.equal(row[3], "Hold");
    t.equal(row[5], "2026-12-27 10:00 UTC", "hold until: now + the package's 30 days");
    const inventory = tableRows(html((await admin.inject({ url: "/dids?contains=380441000002" })).body))[0]!;
    t.equal(inventory[8], "2026-12-27 10:00 UTC", "the inventory's Hold until column");
    t.equal((await admin.inject({ method: "POST", url: `/clients/${clientId}/dids/999999`, ...form({ action: "block" }) })).statusCode, 404);
    t.equal((await admin.inject({ method: "POST", url: `/clients/${clientId}/dids/abc`, ...form({ action: "block" }) })).statusCode, 400);
  });

  t.test("deactivate: the DIDs go on hold; reactivate: back; the scheduler ends holds", async (t) => {
    const subscription = await db.subscription.findFirstOrThrow({ where: { clientId } });
    const deactivated = await post(`/subscriptions/${subscription.id}/deactivate`, {}, htmx);
    t.equal(deactivated.statusCode, 200);
    t.match(text(html(deactivated.body).querySelector("#client-subscriptions .flash")), /Deactivated the subscription to Gold 3: 2 DIDs put on hold/);
    t.equal(await db.did.count({ where: { subscriptionId: subscription.id, status: "hold" } }), 2);
    t.notOk(html((await admin.inject({ url: `/clients/${clientId}/dids` })).body).querySelector(`a[href="/clients/${clientId}/dids/add"]`), "nothing to pick under an inactive subscription");
    const reactivated = await post(`/subscriptions/${subscription.id}/reactivate`, {});
    t.equal(reactivated.statusCode, 303);
    t.equal(await db.did.count({ where: { subscriptionId: subscription.id, status: "active" } }), 2);

    await post(`/subscriptions/${subscription.id}/deactivate`, {});
    clock.advanceDays(31);
    const logs: unknown[] = [];
    await holdScheduler(clock).run({ id: 1n, kind: "hold-scheduler", payload: {}, attempt: 1, signal: new AbortController().signal, progress: () => {}, log: { info: (...args: unknown[]) => logs.push(args), warn() {}, error() {} } } as never, db);
    t.equal(await db.did.count({ where: { number: { startsWith: "38044100000" }, status: "hold" } }), 0);
    t.equal(await db.did.count({ where: { clientAccountId: { not: null } } }), 0, "every hold ended, the client links cleared");
    const history = html((await admin.inject({ url: `/audit?number=380441000001` })).body);
    t.match(text(history), /system/, "the scheduler's events are the system's");
  });

  t.test("scope: another reseller's user sees none of it; support reads only", async (t) => {
    const stranger = await signInAs({ role: "reseller", resellerId: other.id });
    for (const url of [`/clients/${clientId}/dids`, `/clients/${clientId}/subscriptions`, `/clients/${clientId}/dids/add`]) t.equal((await stranger.inject({ url })).statusCode, 404, url);
    const support = await signInAs({ role: "support" });
    const page = html((await support.inject({ url: `/clients/${clientId}/subscriptions` })).body);
    t.notOk(page.querySelector("#client-subscriptions form"), "no forms for support");
    t.notOk(html((await support.inject({ url: `/clients/${clientId}/dids` })).body).querySelector("#client-dids form"));
  });
});
