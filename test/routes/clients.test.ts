// The Clients tab: list, search, paging; create, edit and delete a client; its accounts;
// scope and read-only support; the audit events of every change.
import t from "tap";
import { buildTestApp, form, html, htmx, tableRows, text } from "../helpers/app.js";
import { expectAuditEvents } from "../helpers/audit.js";
import { makeClientAccount, makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

t.test("clients", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const globex = await makeReseller(db, "Globex");
  const kyiv = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const hotel = await makeClientAccount(db, acme.id, { client: "Hotel Dnipro", account: "front-desk" });
  await db.clientAccount.create({ data: { name: "spa", clientId: hotel.clientId, resellerId: acme.id } });
  const bank = await makeClientAccount(db, globex.id, { client: "Globex Bank", account: "Main" });
  await makeDids(db, kyiv.id, ["380441000001", "380441000002"], { status: "active", clientAccountId: hotel.id });
  await makeDids(db, kyiv.id, ["380441000003"]);

  t.test("list: columns, counts, links, page and fragment", async (t) => {
    const res = await admin.inject({ url: "/clients" });
    t.equal(res.statusCode, 200);
    t.match(res.headers.vary, /HX-Request/);
    const doc = html(res.body);
    t.equal(doc.querySelector('nav a[aria-current="page"]')?.getAttribute("href"), "/clients", "the Clients tab is current");
    t.same(doc.querySelectorAll("nav[aria-label='Sections'] a").map((a) => text(a)).slice(0, 2), ["DID inventory", "Clients"], "right after the inventory");
    t.same(doc.querySelectorAll("table.list thead th").map((th) => text(th)), ["ID", "Name", "Reseller", "Accounts", "DIDs", "Actions"]);
    t.same(tableRows(doc).map((r) => r.slice(0, 5)), [
      [String(bank.clientId), "Globex Bank", "Globex", "1", "0"],
      [String(hotel.clientId), "Hotel Dnipro", "Acme", "2", "2"],
    ]);
    t.ok(doc.querySelector(`td a[href="/clients/${hotel.clientId}"]`), "the name opens the client's page");
    t.ok(doc.querySelector(`a[href="/dids?client=${hotel.clientId}"]`), "and its DIDs in the inventory");
    t.equal(text(doc.querySelector(".summary")), "2 clients");

    const fragment = await admin.inject({ url: "/clients?q=DNIPRO&reseller=&page=1", headers: htmx });
    t.equal(fragment.statusCode, 200);
    t.notMatch(fragment.body, /<html/);
    t.equal(fragment.headers["hx-push-url"], "/clients?q=DNIPRO", "the canonical URL, empty fields left out");
    t.same(tableRows(html(fragment.body)).map((r) => r[1]), ["Hotel Dnipro"]);
  });

  t.test("search by name (any case, literal wildcards), filter by reseller, paging", async (t) => {
    const names = async (url: string) => tableRows(html((await admin.inject({ url })).body)).map((r) => r[1]);
    t.same(await names("/clients?q=hotel"), ["Hotel Dnipro"]);
    t.same(await names("/clients?q=ank"), ["Globex Bank"]);
    t.same(await names(`/clients?reseller=${globex.id}`), ["Globex Bank"]);
    t.same(await names(`/clients?q=hotel&reseller=${globex.id}`), []);
    const none = html((await admin.inject({ url: "/clients?q=nothing-like-this" })).body);
    t.match(text(none.querySelector(".empty")), /No clients match/);
    const escaped = await admin.inject({ url: `/clients?q=${encodeURIComponent("%_<b>")}` });
    t.equal(escaped.statusCode, 200);
    t.same(tableRows(html(escaped.body)), [], "% and _ match only themselves");
    t.notMatch(escaped.body, /<b>/);

    const paging = await makeReseller(db, "Paging Reseller");
    await db.client.createMany({ data: Array.from({ length: 120 }, (_, i) => ({ name: `Pager ${String(i).padStart(3, "0")}`, resellerId: paging.id })) });
    const first = html((await admin.inject({ url: `/clients?reseller=${paging.id}` })).body);
    t.equal(text(first.querySelector(".summary")), "120 clients · page 1 of 3");
    t.equal(tableRows(first)[0]![1], "Pager 000");
    const next = first.querySelector('a[rel="next"]')?.getAttribute("href");
    t.equal(next, `/clients?reseller=${paging.id}&page=2`);
    const second = html((await admin.inject({ url: next! })).body);
    t.same([tableRows(second)[0]![1], tableRows(second).length], ["Pager 050", 50]);
    t.equal(second.querySelector('a[rel="prev"]')?.getAttribute("href"), `/clients?reseller=${paging.id}`);
    const third = html((await admin.inject({ url: `/clients?reseller=${paging.id}&page=3`, headers: htmx })).body);
    t.equal(tableRows(third).length, 20);
    t.notOk(third.querySelector('a[rel="next"]'));
    await db.client.deleteMany({ where: { resellerId: paging.id } });
    await db.reseller.delete({ where: { id: paging.id } });
  });

  t.test("bad URLs answer 400 with the message at the field", async (t) => {
    const cases: [string, string, RegExp][] = [
      ["/clients?reseller=abc", "reseller", /whole number/],
      ["/clients?reseller=99999", "reseller", /no reseller with ID 99999/],
      ["/clients?page=-1", "page", /from 1/],
      ["/clients?page=x", "page", /whole number/],
      [`/clients?q=${"x".repeat(101)}`, "q", /at most 100/],
      ["/clients?q=%00", "q", /control characters/],
      ["/clients?q=%FF", "q", /not valid text/],
      ["/clients?q=a&q=b", "q", /once/],
    ];
    for (const [url, field, message] of cases) {
      for (const headers of [{}, htmx]) {
        const res = await admin.inject({ url, headers });
        t.equal(res.statusCode, 400, url);
        t.match(text(html(res.body).querySelector(`#${field}-error`)), message, url);
        t.same(tableRows(html(res.body)), []);
      }
    }
  });

  t.test("create: page, dialog, the first account, audit events", async (t) => {
    const page = await admin.inject({ url: "/clients/new" });
    t.equal(page.statusCode, 200);
    const doc = html(page.body);
    t.same(doc.querySelectorAll("#n-reseller option").map((o) => text(o)), ["Choose…", "Acme", "Globex"]);
    t.equal(doc.querySelector("#n-account")?.getAttribute("value"), "Main", "the first account is called Main unless renamed");
    for (const id of ["n-name", "n-reseller", "n-notes", "n-account"]) t.ok(doc.querySelector(`label[for="${id}"]`), `${id} has a label`);
    const preset = html((await admin.inject({ url: `/clients/new?reseller=${globex.id}` })).body);
    t.ok(preset.querySelector(`#n-reseller option[value="${globex.id}"][selected]`), "?reseller= chooses the reseller");
    const dialog = html((await admin.inject({ url: "/clients/new", headers: htmx })).body);
    t.ok(dialog.querySelector(".modal[role=dialog] form[hx-post='/clients/new']"));
    t.equal(text(dialog.querySelector("#dialog-title")), "New client");

    const { result: ok, events } = await expectAuditEvents(t, db, () =>
      admin.inject({ method: "POST", url: "/clients/new", ...form({ name: "  Café Odesa  ", reseller: String(acme.id), notes: "Line one\nLine two", account: "" }) }),
      [
        { action: "create", objectType: "client", resellerId: acme.id, label: "Café Odesa", actorName: "admin", changes: { name: [null, "Café Odesa"], reseller: [null, "Acme"], notes: [null, "Line one\nLine two"] } },
        { action: "create", objectType: "account", resellerId: acme.id, label: "Café Odesa / Main", changes: { name: [null, "Main"], client: [null, "Café Odesa"] } },
      ],
    );
    t.equal(ok.statusCode, 303);
    const created = await db.client.findFirstOrThrow({ where: { name: "Café Odesa" }, include: { accounts: true } });
    t.equal(ok.headers.location, `/clients/${created.id}`, "to the new client's page");
    t.same([created.resellerId, created.notes], [acme.id, "Line one\nLine two"]);
    t.same(created.accounts.map((a) => [a.name, a.resellerId]), [["Main", acme.id]], "an empty first account name is Main, of the client's reseller");
    t.same([events[0]!.objectId, events[1]!.objectId], [created.id, created.accounts[0]!.id]);
    const cookie = String(ok.headers["set-cookie"]).split(";")[0]!;
    t.equal(text(html((await admin.inject({ url: ok.headers.location!, headers: { cookie } })).body).querySelector(".flash")), "Created client “Café Odesa” with the account “Main”.");

    const viaHtmx = await admin.inject({ method: "POST", url: "/clients/new", ...form({ name: "Café Odesa", reseller: String(globex.id), account: "Reception" }), headers: { ...form({}).headers, ...htmx } });
    t.equal(viaHtmx.statusCode, 204, "the same name under another reseller is fine");
    const other = await db.client.findFirstOrThrow({ where: { name: "Café Odesa", resellerId: globex.id }, include: { accounts: true } });
    t.equal(viaHtmx.headers["hx-redirect"], `/clients/${other.id}`);
    t.same(other.accounts.map((a) => a.name), ["Reception"]);
  });

  t.test("create: every bad input is refused at its field, nothing written", async (t) => {
    const before = [await db.client.count(), await db.clientAccount.count()];
    const ok = { name: "Fine Name", reseller: String(acme.id) };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ ...ok, name: "" }, "name", /Name is required/],
      [{ ...ok, name: "   " }, "name", /Name is required/],
      [{ ...ok, name: "x".repeat(101) }, "name", /at most 100 characters \(this one has 101\)/],
      [{ ...ok, name: "Tab\there" }, "name", /control characters/],
      [{ ...ok, name: "hotel DNIPRO" }, "name", /already has a client named “hotel DNIPRO”/],
      [{ ...ok, reseller: "" }, "reseller", /Choose a reseller/],
      [{ ...ok, reseller: "abc" }, "reseller", /whole number/],
      [{ ...ok, reseller: "99999" }, "reseller", /does not exist/],
      [{ ...ok, notes: "n".repeat(1001) }, "notes", /at most 1,000 characters/],
      [{ ...ok, notes: "bell\u0007" }, "notes", /control characters/],
      [{ ...ok, account: "a".repeat(101) }, "account", /at most 100 characters/],
      [{ ...ok, account: "new\nline" }, "account", /control characters/],
    ];
    for (const [fields, field, message] of cases) {
      for (const headers of [{}, htmx]) {
        const f = form(fields);
        const res = await admin.inject({ method: "POST", url: "/clients/new", payload: f.payload, headers: { ...f.headers, ...headers } });
        t.equal(res.statusCode, 422, `${JSON.stringify(fields).slice(0, 60)} → ${field}`);
        const doc = html(res.body);
        t.match(text(doc.querySelector(`#${field}-error`)), message, field);
        if (Object.keys(headers).length > 0) t.ok(doc.querySelector(".modal"), "in the dialog");
      }
    }
    const kept = html((await admin.inject({ method: "POST", url: "/clients/new", ...form({ name: "", reseller: String(globex.id), notes: "keep me", account: "Desk" }) })).body);
    t.same([kept.querySelector("#n-notes")?.textContent, kept.querySelector("#n-account")?.getAttribute("value")], ["keep me", "Desk"], "the input is kept");
    t.ok(kept.querySelector(`#n-reseller option[value="${globex.id}"][selected]`));
    t.same([await db.client.count(), await db.clientAccount.count()], before, "nothing was written");

    // Two people submit the same new name at once: the unique index decides.
    const race = await Promise.all([1, 2].map(() => admin.inject({ method: "POST", url: "/clients/new", ...form({ name: "Race Client", reseller: String(acme.id) }) })));
    t.same(race.map((r) => r.statusCode).sort(), [303, 422]);
    t.equal(await db.client.count({ where: { name: "Race Client" } }), 1);
  });

  t.test("the client page: details, tabs, accounts", async (t) => {
    const res = await admin.inject({ url: `/clients/${hotel.clientId}` });
    t.equal(res.statusCode, 200);
    const doc = html(res.body);
    t.equal(text(doc.querySelector("h1")), "Client Hotel Dnipro");
    const facts = Object.fromEntries(doc.querySelectorAll("dl.facts dt").map((dt) => [text(dt), text(dt.nextElementSibling)]));
    t.match(facts, { ID: String(hotel.clientId), Name: "Hotel Dnipro", Reseller: "Acme", DIDs: "2 DIDs" });
    const tabs = doc.querySelectorAll("nav.tabs a").map((a) => [text(a), a.getAttribute("href"), a.getAttribute("aria-current") ?? ""]);
    t.same(tabs, [
      ["Client", `/clients/${hotel.clientId}`, "page"],
      ["Subscriptions", `/clients/${hotel.clientId}/subscriptions`, ""],
      ["DIDs", `/clients/${hotel.clientId}/dids`, ""],
    ]);
    t.same(tableRows(doc).map((r) => r.slice(0, 2)), [["front-desk", "2"], ["spa", "0"]]);
    t.ok(doc.querySelector(`a[href="/clients/${hotel.clientId}/edit"]`));
    t.ok(doc.querySelector(`a[href="/clients/${hotel.clientId}/delete"]`));
    t.ok(doc.querySelector(`a[href="/clients/${hotel.clientId}/accounts/${hotel.id}/edit"]`), "rename");
    t.ok(doc.querySelector(`a[href="/clients/${hotel.clientId}/accounts/${hotel.id}/delete"]`), "delete");
    t.ok(doc.querySelector(`form[action="/clients/${hotel.clientId}/accounts"] label[for="acc-name"]`), "the add-account form");
    t.ok(doc.querySelector(`a[href="/audit?type=client&object=${hotel.clientId}"]`), "its history");

    t.equal((await admin.inject({ url: "/clients/abc" })).statusCode, 400);
    t.equal((await admin.inject({ url: "/clients/0" })).statusCode, 400);
    const missing = await admin.inject({ url: "/clients/999999" });
    t.equal(missing.statusCode, 404);
    t.match(text(html(missing.body)), /There is no client with ID 999999/);
  });

  t.test("edit: name and notes, the reseller fixed; events old → new", async (t) => {
    const client = await makeClientAccount(db, acme.id, { client: "Edit Me", account: "Main" });
    const url = `/clients/${client.clientId}/edit`;
    const page = html((await admin.inject({ url })).body);
    t.equal(page.querySelector("#ed-name")?.getAttribute("value"), "Edit Me");
    t.match(text(page.querySelector("dl.facts")), /^Reseller\s*Acme/, "the reseller is shown, not editable");
    t.notOk(page.querySelector("[name=reseller]"));
    t.ok(html((await admin.inject({ url, headers: htmx })).body).querySelector(`.modal form[hx-post="${url}"]`));

    const { result } = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url, ...form({ name: "Edited", notes: "Now with notes", reseller: String(globex.id) }) }), [
      { action: "edit", objectType: "client", objectId: client.clientId, resellerId: acme.id, label: "Edited", changes: { name: ["Edit Me", "Edited"], notes: [null, "Now with notes"] } },
    ]);
    t.equal(result.statusCode, 303);
    t.equal(result.headers.location, `/clients/${client.clientId}`);
    const edited = await db.client.findUniqueOrThrow({ where: { id: client.clientId } });
    t.same([edited.name, edited.notes, edited.resellerId], ["Edited", "Now with notes", acme.id], "a reseller sent along changes nothing");
    t.ok(edited.updatedAt > client.client.updatedAt, "updated_at moves");

    await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url, ...form({ name: "Edited", notes: "Now with notes" }) }), 0, "no change, no event");
    await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url, ...form({ name: "EDITED", notes: "" }) }), [
      { action: "edit", changes: { name: ["Edited", "EDITED"], notes: ["Now with notes", null] } },
    ], "a change of case of its own name is fine; empty notes are none");

    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: "" }, "name", /required/],
      [{ name: "y".repeat(101) }, "name", /at most 100/],
      [{ name: "Hotel dnipro" }, "name", /already has a client named/],
      [{ name: "Fine", notes: "z".repeat(1001) }, "notes", /at most 1,000/],
      [{ name: "Null\u0000byte" }, "name", /control characters/],
    ];
    for (const [fields, field, message] of cases) {
      for (const headers of [{}, htmx]) {
        const f = form(fields);
        const res = await admin.inject({ method: "POST", url, payload: f.payload, headers: { ...f.headers, ...headers } });
        t.equal(res.statusCode, 422, JSON.stringify(fields).slice(0, 50));
        t.match(text(html(res.body).querySelector(`#${field}-error`)), message);
      }
    }
    t.equal((await db.client.findUniqueOrThrow({ where: { id: client.clientId } })).name, "EDITED", "nothing was written");
    t.equal((await admin.inject({ method: "POST", url: "/clients/999999/edit", ...form({ name: "X" }) })).statusCode, 404);
    t.equal((await admin.inject({ url: "/clients/999999/edit" })).statusCode, 404);
    t.equal((await admin.inject({ method: "POST", url: "/clients/x1/edit", ...form({ name: "X" }) })).statusCode, 400);
  });

  t.test("accounts: add, rename, delete; refusals", async (t) => {
    const client = await makeClientAccount(db, acme.id, { client: "Accounts Ltd", account: "Main" });
    const base = `/clients/${client.clientId}`;
    const { result: added, events } = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: `${base}/accounts`, ...form({ name: " Billing " }) }), [
      { action: "create", objectType: "account", resellerId: acme.id, label: "Accounts Ltd / Billing", changes: { name: [null, "Billing"], client: [null, "Accounts Ltd"] } },
    ]);
    t.equal(added.statusCode, 303);
    t.equal(added.headers.location, base);
    const billing = await db.clientAccount.findFirstOrThrow({ where: { clientId: client.clientId, name: "Billing" } });
    t.same([billing.resellerId, events[0]!.objectId], [acme.id, billing.id], "the account carries its client's reseller");

    for (const [name, message] of [["", /required/], ["MAIN", /already has an account named “MAIN”/], ["b".repeat(101), /at most 100/], ["a\tb", /control characters/]] as const) {
      const res = await admin.inject({ method: "POST", url: `${base}/accounts`, ...form({ name }) });
      t.equal(res.statusCode, 422, name);
      const doc = html(res.body);
      t.match(text(doc.querySelector("#name-error")), message);
      t.ok(doc.querySelector("h1"), "the client page again, without JavaScript");
      const fragment = await admin.inject({ method: "POST", url: `${base}/accounts`, ...form({ name }), headers: { ...form({}).headers, ...htmx } });
      t.equal(fragment.statusCode, 422);
      t.notMatch(fragment.body, /<html/);
      t.ok(html(fragment.body).querySelector("section#client-accounts #name-error"), "with htmx, the accounts section");
    }
    t.equal(await db.clientAccount.count({ where: { clientId: client.clientId } }), 2);
    t.equal((await admin.inject({ method: "POST", url: "/clients/999999/accounts", ...form({ name: "X" }) })).statusCode, 404);

    // Rename.
    const renameUrl = `${base}/accounts/${billing.id}/edit`;
    const renamePage = html((await admin.inject({ url: renameUrl })).body);
    t.equal(renamePage.querySelector("#ra-name")?.getAttribute("value"), "Billing");
    t.equal(text(html((await admin.inject({ url: renameUrl, headers: htmx })).body).querySelector("#dialog-title")), "Rename account Billing");
    await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: renameUrl, ...form({ name: "Invoices" }) }), [
      { action: "edit", objectType: "account", objectId: billing.id, resellerId: acme.id, label: "Accounts Ltd / Invoices", changes: { name: ["Billing", "Invoices"] } },
    ]);
    t.equal((await db.clientAccount.findUniqueOrThrow({ where: { id: billing.id } })).name, "Invoices");
    await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: renameUrl, ...form({ name: "Invoices" }) }), 0, "the same name: nothing changes");
    for (const [name, message] of [["main", /already has an account named/], ["", /required/], ["c".repeat(101), /at most 100/]] as const) {
      const res = await admin.inject({ method: "POST", url: renameUrl, ...form({ name }) });
      t.equal(res.statusCode, 422);
      t.match(text(html(res.body).querySelector("#name-error")), message);
    }
    // An account belongs to its client: another client's id in the URL finds nothing.
    t.equal((await admin.inject({ url: `/clients/${hotel.clientId}/accounts/${billing.id}/edit` })).statusCode, 404);
    t.equal((await admin.inject({ url: `${base}/accounts/abc/edit` })).statusCode, 400);
    t.equal((await admin.inject({ url: `${base}/accounts/999999/edit` })).statusCode, 404);

    // Delete.
    const deleteUrl = `${base}/accounts/${billing.id}/delete`;
    const confirm = html((await admin.inject({ url: deleteUrl })).body);
    t.match(text(confirm.querySelector(".panel")), /Delete account Invoices of client Accounts Ltd\? It holds no DIDs/);
    t.ok(html((await admin.inject({ url: deleteUrl, headers: htmx })).body).querySelector(`.modal form[hx-post="${deleteUrl}"]`));
    const { result: deleted } = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: deleteUrl, headers: htmx }), [
      { action: "delete", objectType: "account", objectId: billing.id, resellerId: acme.id, label: "Accounts Ltd / Invoices", changes: { name: ["Invoices", null], client: ["Accounts Ltd", null] } },
    ]);
    t.equal(deleted.statusCode, 204);
    t.equal(deleted.headers["hx-redirect"], base);
    t.equal(await db.clientAccount.count({ where: { id: billing.id } }), 0);
    t.equal((await admin.inject({ method: "POST", url: deleteUrl })).statusCode, 404, "gone");

    const busyUrl = `/clients/${hotel.clientId}/accounts/${hotel.id}/delete`;
    const refusedPage = html((await admin.inject({ url: busyUrl })).body);
    t.match(text(refusedPage.querySelector(".error-box")), /Account “front-desk” of client Hotel Dnipro holds 2 DIDs, so it cannot be deleted/);
    t.notOk(refusedPage.querySelector("button.danger"), "no delete button is offered");
    const refused = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url: busyUrl }), 0);
    t.equal(refused.result.statusCode, 409);
    t.match(text(html(refused.result.body).querySelector(".error-box")), /holds 2 DIDs/);
    t.equal(await db.clientAccount.count({ where: { id: hotel.id } }), 1);
  });

  t.test("delete a client: refused while DIDs are on its accounts, then everything in one go", async (t) => {
    const doomed = await makeClientAccount(db, acme.id, { client: "Doomed", account: "Main" });
    const second = await db.clientAccount.create({ data: { name: "Second", clientId: doomed.clientId, resellerId: acme.id } });
    const dids = await makeDids(db, kyiv.id, ["380449000001", "380449000002", "380449000003"], { status: "active", clientAccountId: second.id });
    const pkg = await db.package.create({ data: { name: "Basic", resellerId: acme.id, didLimit: 10 } });
    const subscription = await db.subscription.create({ data: { clientId: doomed.clientId, packageId: pkg.id, resellerId: acme.id, startDate: new Date("2026-11-01") } });
    const url = `/clients/${doomed.clientId}/delete`;

    const confirm = await admin.inject({ url });
    t.match(text(html(confirm.body).querySelector(".error-box")), /Client “Doomed” has 3 DIDs on its accounts, so it cannot be deleted/);
    t.ok(html(confirm.body).querySelector(`.error-box a[href="/dids?client=${doomed.clientId}"]`), "with a link to them");
    for (const headers of [{}, htmx]) {
      const { result } = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url, headers }), 0, "refused: no event");
      t.equal(result.statusCode, 409);
      t.match(text(html(result.body).querySelector(".error-box")), /has 3 DIDs on its accounts/);
    }
    t.equal(await db.client.count({ where: { id: doomed.clientId } }), 1, "nothing deleted");

    await db.did.updateMany({ where: { id: { in: dids.map((d) => d.id) } }, data: { clientAccountId: null, status: "in_stock" } });
    const page = html((await admin.inject({ url })).body);
    t.match(text(page.querySelector(".panel")), /Delete client Doomed of reseller Acme, with its accounts and subscriptions\? It has no DIDs/);
    const { result } = await expectAuditEvents(t, db, () => admin.inject({ method: "POST", url }), [
      { action: "delete", objectType: "subscription", objectId: subscription.id, resellerId: acme.id, label: "Doomed / Basic", changes: { package: ["Basic", null], start_date: ["2026-11-01", null] } },
      { action: "delete", objectType: "account", objectId: doomed.id, resellerId: acme.id, label: "Doomed / Main" },
      { action: "delete", objectType: "account", objectId: second.id, resellerId: acme.id, label: "Doomed / Second" },
      { action: "delete", objectType: "client", objectId: doomed.clientId, resellerId: acme.id, label: "Doomed", changes: { name: ["Doomed", null], reseller: ["Acme", null] } },
    ]);
    t.equal(result.statusCode, 303);
    t.equal(result.headers.location, "/clients");
    t.same(
      [await db.client.count({ where: { id: doomed.clientId } }), await db.clientAccount.count({ where: { clientId: doomed.clientId } }), await db.subscription.count({ where: { id: subscription.id } })],
      [0, 0, 0],
    );
    t.equal(await db.did.count({ where: { id: { in: dids.map((d) => d.id) } } }), 3, "the released DIDs stay");
    t.equal((await admin.inject({ method: "POST", url })).statusCode, 404);
    t.equal((await admin.inject({ url: "/clients/1x/delete" })).statusCode, 400);
  });

  t.test("scope: a reseller's user sees and changes only their own; support reads only", async (t) => {
    const acmeUser = await signInAs({ role: "reseller", resellerId: acme.id });
    const support = await signInAs({ role: "support" });
    const names = async (browser: typeof admin, url: string) => tableRows(html((await browser.inject({ url })).body)).map((r) => r[1]);
    t.notOk((await names(acmeUser, "/clients")).includes("Globex Bank"));
    t.ok((await names(acmeUser, "/clients")).includes("Hotel Dnipro"));
    t.same(await names(acmeUser, "/clients?q=bank"), []);
    const foreignFilter = await acmeUser.inject({ url: `/clients?reseller=${globex.id}` });
    t.equal(foreignFilter.statusCode, 400, "another reseller's id is unknown here");
    t.same(html((await acmeUser.inject({ url: "/clients/new" })).body).querySelectorAll("#n-reseller option").map((o) => text(o)), ["Choose…", "Acme"]);
    t.ok(html((await acmeUser.inject({ url: "/clients/new" })).body).querySelector(`#n-reseller option[value="${acme.id}"][selected]`), "their one reseller is chosen");

    const foreign = bank.clientId;
    for (const url of [`/clients/${foreign}`, `/clients/${foreign}/edit`, `/clients/${foreign}/delete`, `/clients/${foreign}/accounts/${bank.id}/edit`, `/clients/${foreign}/accounts/${bank.id}/delete`]) {
      const res = await acmeUser.inject({ url });
      t.equal(res.statusCode, 404, url);
      t.notMatch(res.body, /Globex Bank/);
    }
    const writes: [string, Record<string, string>][] = [
      [`/clients/${foreign}/edit`, { name: "Taken over" }],
      [`/clients/${foreign}/delete`, {}],
      [`/clients/${foreign}/accounts`, { name: "Sneaky" }],
      [`/clients/${foreign}/accounts/${bank.id}/edit`, { name: "Sneaky" }],
      [`/clients/${foreign}/accounts/${bank.id}/delete`, {}],
    ];
    for (const [url, fields] of writes) {
      const { result } = await expectAuditEvents(t, db, () => acmeUser.inject({ method: "POST", url, ...form(fields) }), 0, url);
      t.equal(result.statusCode, 404, url);
    }
    const intoForeign = await acmeUser.inject({ method: "POST", url: "/clients/new", ...form({ name: "Planted", reseller: String(globex.id) }) });
    t.equal(intoForeign.statusCode, 422);
    t.match(text(html(intoForeign.body).querySelector("#reseller-error")), /does not exist/);
    const still = await db.client.findUniqueOrThrow({ where: { id: foreign }, include: { accounts: true } });
    t.same([still.name, still.accounts.map((a) => a.name)], ["Globex Bank", ["Main"]], "nothing of theirs changed");

    const own = await acmeUser.inject({ method: "POST", url: "/clients/new", ...form({ name: "Acme Own", reseller: String(acme.id) }) });
    t.equal(own.statusCode, 303, "their own reseller's client is created");

    const supportList = html((await support.inject({ url: "/clients" })).body);
    t.ok((await names(support, "/clients")).includes("Globex Bank"), "support bound to no reseller reads all");
    t.notOk(supportList.querySelector('a[href="/clients/new"], a[href$="/edit"], a[href$="/delete"]'), "no buttons for support");
    const supportPage = html((await support.inject({ url: `/clients/${hotel.clientId}` })).body);
    t.notOk(supportPage.querySelector("form[action$='/accounts'], a[href$='/edit'], a[href$='/delete']"), "the client page is read only");
    t.equal(tableRows(supportPage).length, 2, "but shows the accounts");
    for (const url of ["/clients/new", `/clients/${hotel.clientId}/edit`]) t.equal((await support.inject({ url })).statusCode, 403, url);
    const { result: supportPost } = await expectAuditEvents(t, db, () => support.inject({ method: "POST", url: `/clients/${hotel.clientId}/accounts`, ...form({ name: "Support's" }) }), 0);
    t.equal(supportPost.statusCode, 403);
  });
});

t.test("the inventory's client field", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const globex = await makeReseller(db, "Globex");
  const kyiv = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const life = await makeOperator(db, { name: "Lifecell", resellerId: globex.id });
  const hotel = await makeClientAccount(db, acme.id, { client: "Hotel Dnipro", account: "desk" });
  const hostel = await makeClientAccount(db, acme.id, { client: "Hostel 50%", account: "desk" });
  const globexHotel = await makeClientAccount(db, globex.id, { client: "Hotel Globex", account: "Main" });
  await makeDids(db, kyiv.id, ["380441000001", "380441000002"], { status: "active", clientAccountId: hotel.id });
  await makeDids(db, kyiv.id, ["380441000003"], { status: "active", clientAccountId: hostel.id });
  await makeDids(db, kyiv.id, ["380441000004"]);
  await makeDids(db, life.id, ["15551000001"], { status: "active", clientAccountId: globexHotel.id });
  const numbers = async (url: string, browser = admin) => {
    const res = await browser.inject({ url });
    t.equal(res.statusCode, 200, url);
    return tableRows(html(res.body)).map((r) => r[3]);
  };

  t.test("a text field, not a list of every client", async (t) => {
    const doc = html((await admin.inject({ url: "/dids" })).body);
    const field = doc.querySelector("#s-client")!;
    t.same([field.tagName, field.getAttribute("name"), field.getAttribute("list")], ["INPUT", "client_name", "client-suggestions"]);
    t.ok(doc.querySelector('label[for="s-client"]'), "with its label");
    t.ok(doc.querySelector("datalist#client-suggestions"));
    t.same([field.getAttribute("hx-get"), field.getAttribute("hx-trigger"), field.getAttribute("hx-target"), field.getAttribute("hx-push-url")], ["/clients/suggest", "input changed delay:250ms", "#client-suggestions", "false"]);
    t.notMatch(doc.querySelector("form.search")!.toString(), /Hotel/, "no client names in the page");
  });

  t.test("without JavaScript, the text finds DIDs whose client's name contains it", async (t) => {
    t.same(await numbers("/dids?client_name=hotel"), ["15551000001", "380441000001", "380441000002"], "any letter case, every matching client");
    t.same(await numbers("/dids?client_name=HOSTEL"), ["380441000003"]);
    t.same(await numbers("/dids?client_name=50%25"), ["380441000003"], "% is literal");
    t.same(await numbers("/dids?client_name=l%25"), [], "and matches only itself");
    t.same(await numbers("/dids?client_name=o_t"), []);
    t.same(await numbers("/dids?client_name=hotel&status=active&reseller=" + acme.id), ["380441000001", "380441000002"]);
    const doc = html((await admin.inject({ url: "/dids?client_name=hotel" })).body);
    t.equal(doc.querySelector("#s-client")?.getAttribute("value"), "hotel", "the field shows what was typed");
    t.notOk(doc.querySelector('input[type=hidden][name="client"]'));
    const fragment = await admin.inject({ url: "/dids?client_name=Hotel&contains=", headers: htmx });
    t.equal(fragment.headers["hx-push-url"], "/dids?client_name=Hotel");
    const exported = (await admin.inject({ url: "/dids/export?client_name=hostel" })).body.split("\r\n").slice(1, -1).map((line) => line.split(",")[3]);
    t.same(exported, ["380441000003"], "the export reads the same filter");
    const reseller = await signInAs({ role: "reseller", resellerId: globex.id });
    t.same(await numbers("/dids?client_name=hotel", reseller), ["15551000001"], "in scope");
  });

  t.test("client=<id> still works, and the field shows its name", async (t) => {
    t.same(await numbers(`/dids?client=${hotel.clientId}`), ["380441000001", "380441000002"]);
    const doc = html((await admin.inject({ url: `/dids?client=${hotel.clientId}` })).body);
    t.equal(doc.querySelector("#s-client")?.getAttribute("value"), "Hotel Dnipro");
    t.equal(doc.querySelector('form.search input[type=hidden][name="client"]')?.getAttribute("value"), String(hotel.clientId));
    t.equal(doc.querySelector('form.search input[type=hidden][name="client_shown"]')?.getAttribute("value"), "Hotel Dnipro");

    // What the form sends back: the name as shown keeps the id; anything else replaces it.
    const kept = await admin.inject({ url: `/dids?client=${hotel.clientId}&client_name=Hotel+Dnipro&client_shown=Hotel+Dnipro&status=active`, headers: htmx });
    t.equal(kept.headers["hx-push-url"], `/dids?status=active&client=${hotel.clientId}`);
    t.same(tableRows(html(kept.body)).map((r) => r[3]), ["380441000001", "380441000002"]);
    const replaced = await admin.inject({ url: `/dids?client=${hotel.clientId}&client_name=hostel&client_shown=Hotel+Dnipro`, headers: htmx });
    t.equal(replaced.headers["hx-push-url"], "/dids?client_name=hostel");
    t.same(tableRows(html(replaced.body)).map((r) => r[3]), ["380441000003"]);
    const cleared = await admin.inject({ url: `/dids?client=${hotel.clientId}&client_name=&client_shown=Hotel+Dnipro`, headers: htmx });
    t.equal(cleared.headers["hx-push-url"], "/dids", "an emptied field drops the client");
    const both = html((await admin.inject({ url: `/dids?client=${hotel.clientId}&client_name=dnipro` })).body);
    t.same(tableRows(both).map((r) => r[3]), ["380441000001", "380441000002"], "a URL with both applies both");
    t.equal(both.querySelector("#s-client")?.getAttribute("value"), "dnipro");
    t.notOk(both.querySelector('input[name="client_shown"]'), "and keeps both when sent again");
  });

  t.test("bad values: 400 with the message at the client field", async (t) => {
    const reseller = await signInAs({ role: "reseller", resellerId: acme.id });
    const cases: [string, string, RegExp, typeof admin][] = [
      [`/dids?client_name=${"x".repeat(101)}`, "client_name", /Client can be at most 100 characters/, admin],
      ["/dids?client_name=%01", "client_name", /control characters/, admin],
      ["/dids?client_name=%FF", "client_name", /not valid text/, admin],
      ["/dids?client=999999", "client", /There is no client with ID 999999/, admin],
      ["/dids?client=abc", "client", /whole number/, admin],
      [`/dids?client=${globexHotel.clientId}`, "client", /There is no client with ID/, reseller],
    ];
    for (const [url, field, message, browser] of cases) {
      for (const headers of [{}, htmx]) {
        const res = await browser.inject({ url, headers });
        t.equal(res.statusCode, 400, url);
        const doc = html(res.body);
        const error = doc.querySelector(`#${field}-error`);
        t.match(text(error), message, url);
        t.equal(error?.parentNode?.querySelector("#s-client")?.getAttribute("aria-describedby"), `${field}-error`, "next to the field");
        t.same(tableRows(doc), []);
      }
    }
    t.equal((await admin.inject({ url: "/dids/export?client_name=%01" })).statusCode, 400, "the export too");
  });

  t.test("suggestions: at most 20 names containing the text, in scope", async (t) => {
    const res = await admin.inject({ url: "/clients/suggest?q=HOT", headers: htmx });
    t.equal(res.statusCode, 200);
    t.notMatch(res.body, /<html/);
    const options = html(res.body).querySelectorAll("datalist#client-suggestions option");
    t.same(options.map((o) => [o.getAttribute("value"), text(o)]), [["Hotel Dnipro", "Acme"], ["Hotel Globex", "Globex"]], "admins see whose");
    const asField = html((await admin.inject({ url: "/clients/suggest?client_name=hostel", headers: htmx })).body);
    t.same(asField.querySelectorAll("option").map((o) => o.getAttribute("value")), ["Hostel 50%"], "the field's own parameter name works too");
    t.same(html((await admin.inject({ url: "/clients/suggest?q=" })).body).querySelectorAll("option"), [], "nothing typed, nothing suggested");
    t.same(html((await admin.inject({ url: "/clients/suggest?q=%25" })).body).querySelectorAll("option").map((o) => o.getAttribute("value")), ["Hostel 50%"], "% is literal");

    const reseller = await signInAs({ role: "reseller", resellerId: globex.id });
    const scoped = html((await reseller.inject({ url: "/clients/suggest?q=hotel" })).body).querySelectorAll("option");
    t.same(scoped.map((o) => [o.getAttribute("value"), text(o)]), [["Hotel Globex", ""]]);

    await db.client.createMany({ data: Array.from({ length: 30 }, (_, i) => ({ name: `Suggested ${String(i).padStart(2, "0")}`, resellerId: acme.id })) });
    const many = html((await admin.inject({ url: "/clients/suggest?q=suggested" })).body).querySelectorAll("option").map((o) => o.getAttribute("value"));
    t.equal(many.length, 20);
    t.same(many.slice(0, 2), ["Suggested 00", "Suggested 01"], "by name");
    const bad = await admin.inject({ url: `/clients/suggest?q=${"q".repeat(101)}` });
    t.equal(bad.statusCode, 400);
    t.same(html(bad.body).querySelectorAll("option"), []);
  });

  t.test("the page does not grow with the number of clients", async (t) => {
    const size = async () => {
      const res = await admin.inject({ url: "/dids", headers: { "accept-encoding": "gzip" } });
      t.equal(res.headers["content-encoding"], "gzip");
      return { gzip: res.rawPayload.length, body: (await admin.inject({ url: "/dids" })).body.length };
    };
    const many = await makeReseller(db, "Many Clients");
    const before = await size();
    await db.client.createMany({ data: Array.from({ length: 2000 }, (_, i) => ({ name: `Bulk client ${i}`, resellerId: many.id })) });
    const after = await size();
    t.ok(Math.abs(after.body - before.body) < 100, `the page's size stays (${before.body} → ${after.body} bytes)`);
    t.ok(after.gzip < 30 * 1024, `under 30 KB gzipped (${after.gzip} bytes)`);
  });
});
