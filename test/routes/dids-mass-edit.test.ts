// Mass edit and mass delete: the selection (ticked, this page, all matching), each field,
// the confirmation's counts and reasons, refusals by the status rules, bad input, scope,
// the audit events every change writes, and the htmx dialog flow.
import t from "tap";
import pg from "pg";
import { callerOf, actorFor } from "../../src/shared/actor.js";
import { massEdit } from "../../src/modules/dids/dids.service.js";
import { buildTestApp, form, html, tableRows, text, type Browser } from "../helpers/app.js";
import { expectAuditEvents } from "../helpers/audit.js";
import { makeClientAccount, makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

t.test("mass edit and delete", async (t) => {
  const { db, admin, signInAs, url } = await buildTestApp(t);
  const reseller = await makeReseller(db, "Acme");
  const op = await makeOperator(db, { name: "Kyivstar", resellerId: reseller.id });
  const account = await makeClientAccount(db, reseller.id, { client: "Hotel", account: "desk" });
  const free = await makeDids(db, op.id, Array.from({ length: 60 }, (_, i) => `3804410000${String(i).padStart(2, "0")}`), { tag: "batch-1" });
  const assigned = await makeDids(db, op.id, ["380442000001", "380442000002"], { status: "active", clientAccountId: account.id, tag: "batch-1" });
  const [held] = await makeDids(db, op.id, ["380442000003"], { status: "hold", holdUntil: new Date(Date.now() + 7 * 86_400_000), clientAccountId: account.id, tag: "batch-1" });
  const htmx = { "hx-request": "true" };
  const post = (who: Browser, url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
    who.inject({ method: "POST", url, ...form(fields), headers: { ...form(fields).headers, ...headers } });
  const ids = (dids: { id: number }[]) => dids.map((d) => String(d.id));
  const did = (id: number) => db.did.findUniqueOrThrow({ where: { id } });
  /** The page a 303 leads to, with the flash message it set. */
  const follow = (res: { headers: Record<string, unknown> }) =>
    admin.inject({ url: res.headers.location as string, headers: { cookie: String(res.headers["set-cookie"]).split(";")[0]! } });

  t.test("the inventory is a form: a box per row, all on this page, all matching", async (t) => {
    const doc = html((await admin.inject({ url: "/dids?tag=batch-1" })).body);
    const bulk = doc.querySelector("form#bulk")!;
    t.equal(bulk.getAttribute("method"), "post");
    t.equal(bulk.querySelector('input[name="search"]')!.getAttribute("value"), "tag=batch-1", "the search rides along");
    t.equal(bulk.querySelectorAll('tbody input[type="checkbox"][name="id"]').length, 50);
    t.ok(bulk.querySelector('input[name="select"][value="page"]'), "select all on this page");
    t.match(text(bulk.querySelector('label:has(input[value="all"])') ?? bulk.querySelector(".bulk-bar")), /All 63 DIDs matching this search/);
    t.same(bulk.querySelectorAll("button").map((b) => [text(b), b.getAttribute("formaction")]), [
      ["Mass edit…", "/dids/mass-edit"],
      ["Delete…", "/dids/mass-delete"],
      ["Export selected (CSV)", "/dids/export"],
      ["Export selected (.xlsx)", "/dids/export"],
    ]);
    t.match(text(doc.querySelector(".no-js-only")), /ticks are kept on this page only/, "says what happens without JavaScript");
    t.equal(tableRows(doc)[0]![9], "History");
    t.equal(doc.querySelector("tbody tr a[href^='/audit']")!.getAttribute("href"), `/audit?type=did&object=${free[0]!.id}`);
    const didPage = html((await admin.inject({ url: `/dids/${free[0]!.id}` })).body);
    t.equal(didPage.querySelector(".page-head a[href^='/audit']")!.getAttribute("href"), `/audit?type=did&object=${free[0]!.id}`, "the DID's page links to its history too");
  });

  t.test("opening the mass edit shows the form for the selection", async (t) => {
    const res = await post(admin, "/dids/mass-edit", { search: "tag=batch-1", id: ids(free.slice(0, 3)) });
    t.equal(res.statusCode, 200);
    const doc = html(res.body);
    t.equal(text(doc.querySelector("h1")), "Mass edit DIDs");
    t.match(text(doc.querySelector("form.mass-edit")), /3 DIDs are selected/);
    t.same(doc.querySelectorAll('form.mass-edit input[name="id"]').map((i) => i.getAttribute("value")), ids(free.slice(0, 3)));
    for (const id of ["m-status", "m-tag", "m-notes", "m-hold-days", "m-after-hold"]) t.ok(doc.querySelector(`label[for="${id}"]`), `${id} has a label`);
    const dialog = await post(admin, "/dids/mass-edit", { search: "", select: "all" }, htmx);
    t.notMatch(dialog.body, /<html/);
    t.match(text(html(dialog.body).querySelector("#dialog-title")), "Mass edit DIDs");
    t.match(text(html(dialog.body).querySelector("form")), /63 DIDs are selected/, "all matching: the whole search");
  });

  t.test("an empty selection, bad ids, ids outside the scope", async (t) => {
    let res = await post(admin, "/dids/mass-edit", { search: "" });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#selection-error")), /Select at least one DID/);
    res = await post(admin, "/dids/mass-edit/preview", { search: "", id: ["12x"], change_tag: "1", tag: "x" });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#selection-error")), /not a DID ID/);
    res = await post(admin, "/dids/mass-edit/preview", { search: "", id: ["99999999"], change_tag: "1", tag: "x" });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#selection-error")), /None of the selected DIDs exists/);
    const other = await makeReseller(db, "Globex");
    const stranger = await signInAs({ role: "reseller", resellerId: other.id });
    const before = await did(free[0]!.id);
    await expectAuditEvents(t, db, async () => {
      res = await post(stranger, "/dids/mass-edit/apply", { search: "", id: ids(free.slice(0, 2)), change_tag: "1", tag: "stolen" });
      t.equal(res.statusCode, 422, "another reseller's DIDs are answered as if they did not exist");
      t.match(text(html(res.body).querySelector("#selection-error")), /None of the selected DIDs exists/);
      res = await post(stranger, "/dids/mass-delete/apply", { search: "", id: ids(free.slice(0, 2)) });
      t.equal(res.statusCode, 422);
      res = await post(stranger, "/dids/mass-edit/apply", { search: "", select: "all", change_tag: "1", tag: "stolen" });
      t.equal(res.statusCode, 422, "all matching stays inside the scope");
    }, 0);
    t.same(await did(free[0]!.id), before, "nothing written");
    const support = await signInAs({ role: "support" });
    res = await post(support, "/dids/mass-edit/apply", { search: "", id: ids(free.slice(0, 2)), change_tag: "1", tag: "x" });
    t.equal(res.statusCode, 403, "support reads only");
    res = await post(support, "/dids/mass-delete/apply", { search: "", id: ids(free.slice(0, 2)) });
    t.equal(res.statusCode, 403);
    const supportBulk = html((await support.inject({ url: "/dids" })).body).querySelector("form#bulk");
    t.same(supportBulk?.querySelectorAll("button").map((b) => b.getAttribute("formaction")), ["/dids/export", "/dids/export"], "support may tick rows to export them, no more");
  });

  t.test("bad field values: 422 next to the field, nothing written", async (t) => {
    const base = { search: "tag=batch-1", select: "all" };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{}, "#change-error", /Tick at least one field/],
      [{ change_status: "1" }, "#status-error", /Choose status to set/],
      [{ change_status: "1", status: "sold" }, "#status-error", /not a valid status/],
      [{ change_tag: "1", tag_mode: "set", tag: "" }, "#tag-error", /Type the tag to set/],
      [{ change_tag: "1", tag: "x".repeat(65) }, "#tag-error", /at most 64 characters/],
      [{ change_tag: "1", tag_mode: "rename", tag: "x" }, "#tag_mode-error", /not a valid tag change/],
      [{ change_notes: "1", notes_mode: "append", notes: " " }, "#notes-error", /Type the text to append/],
      [{ change_notes: "1", notes: "n".repeat(1001) }, "#notes-error", /at most 1,000 characters/],
      [{ change_hold_days: "1", hold_days: "" }, "#hold_days-error", /Type the hold days/],
      [{ change_hold_days: "1", hold_days: "-1" }, "#hold_days-error", /from 0 to 3,650/],
      [{ change_hold_days: "1", hold_days: "3651" }, "#hold_days-error", /from 0 to 3,650/],
      [{ change_hold_days: "1", hold_days: "7.5" }, "#hold_days-error", /whole number/],
      [{ change_after_hold: "1", after_hold: "active" }, "#after_hold-error", /not a valid after-hold status/],
    ];
    await expectAuditEvents(t, db, async () => {
      for (const [fields, selector, message] of cases) {
        for (const step of ["preview", "apply"]) {
          const res = await post(admin, `/dids/mass-edit/${step}`, { ...base, ...fields });
          t.equal(res.statusCode, 422, `${step} ${JSON.stringify(fields).slice(0, 60)}`);
          t.match(text(html(res.body).querySelector(selector)), message);
        }
      }
    }, 0);
    t.equal(await db.did.count({ where: { tag: "batch-1" } }), 63);
  });

  t.test("preview: how many change, are skipped and why (naming the client), nothing written", async (t) => {
    const selection = { search: "tag=batch-1", select: "all" };
    const { result: res } = await expectAuditEvents(t, db, () => post(admin, "/dids/mass-edit/preview", { ...selection, change_status: "1", status: "reserved" }), 0);
    t.equal(res.statusCode, 200);
    const doc = html(res.body);
    t.equal(text(doc.querySelector("h1")), "Confirm the mass edit");
    t.equal(text(doc.querySelector(".preview-summary")), "60 DIDs will change; 3 will be skipped.");
    const reasons = doc.querySelectorAll(".skipped li").map(text);
    t.match(reasons, [/^2 are assigned to a client account .*: Hotel \/ desk \(2\)\.$/, /^1 is on hold after a package ended .*: Hotel \/ desk \(1\)\.$/]);
    t.equal(doc.querySelector('input[name="expected"]')!.getAttribute("value"), "63");
    t.equal(text(doc.querySelector('form[action="/dids/mass-edit/apply"] button:not([formaction])')), "Update 60 DIDs");
    t.equal((await did(free[0]!.id)).status, "in_stock", "a preview writes nothing");
    const change = await post(admin, "/dids/mass-edit/change", { ...selection, change_status: "1", status: "reserved" });
    t.equal(change.statusCode, 200);
    t.equal(html(change.body).querySelector('select[name="status"] option[selected]')!.getAttribute("value"), "reserved", "“Change the fields” keeps what was filled in");
  });

  t.test("a status the rules refuse for every selected DID: nothing to update, and nothing is", async (t) => {
    const fields = { search: "", id: ids(assigned), change_status: "1", status: "archive" };
    const preview = html((await post(admin, "/dids/mass-edit/preview", fields)).body);
    t.equal(text(preview.querySelector(".preview-summary")), "0 DIDs will change; 2 will be skipped.");
    t.match(text(preview.querySelector(".skipped")), /2 are assigned to a client account .*Hotel \/ desk \(2\)/);
    t.notOk(preview.querySelector('form[action="/dids/mass-edit/apply"] button:not([formaction])'), "no Update button");
    const { result: res } = await expectAuditEvents(t, db, () => post(admin, "/dids/mass-edit/apply", { ...fields, expected: "2" }), 0);
    t.match(text(html((await follow(res)).body).querySelector(".flash")), /^Changed 0 DIDs\. 2 skipped/);
    t.equal(await db.operation.count({ where: { kind: "mass_edit" } }), 0, "no operation for nothing");
  });

  t.test("apply: one transaction, one event per changed DID, one operation, the same search after", async (t) => {
    const selection = { search: "tag=batch-1&per=100", select: "all", expected: "63" };
    const { result: res, events } = await expectAuditEvents(
      t,
      db,
      () => post(admin, "/dids/mass-edit/apply", { ...selection, change_status: "1", status: "reserved", change_hold_days: "1", hold_days: "14" }),
      60,
    );
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, "/dids?tag=batch-1&per=100", "the inventory shows the same search again");
    t.match(text(html((await follow(res)).body).querySelector(".flash")), /^Changed 60 DIDs\. 3 skipped/);
    t.match(events[0], { action: "mass_edit", objectType: "did", objectId: free[0]!.id, label: free[0]!.number, actorName: "admin", resellerId: reseller.id, changes: { status: ["in_stock", "reserved"], hold_days: [0, 14] } });
    t.notOk(events.some((e) => e.objectId === assigned[0]!.id), "a DID the rules refuse is skipped whole: none of its fields change");
    t.match(await did(assigned[0]!.id), { status: "active", holdDays: 0 });
    t.equal((await did(held!.id)).status, "hold");
    const operation = await db.operation.findFirstOrThrow({ where: { requestId: events[0]!.requestId } });
    t.match(operation, { kind: "mass_edit", didCount: 60, skippedCount: 3, state: "done" });
    t.equal(await db.did.count({ where: { tag: "batch-1", holdDays: 14 } }), 60);
  });

  t.test("each field: tag set and clear, notes set, append and clear, after hold", async (t) => {
    const two = { search: "", id: ids(free.slice(0, 2)) };
    const apply = (fields: Record<string, string>) => post(admin, "/dids/mass-edit/apply", { ...two, ...fields });
    const id0 = free[0]!.id;
    let { events } = await expectAuditEvents(t, db, () => apply({ change_tag: "1", tag_mode: "set", tag: "vip" }), 2);
    t.same(events[0]!.changes, { tag: ["batch-1", "vip"] });
    ({ events } = await expectAuditEvents(t, db, () => apply({ change_notes: "1", notes_mode: "set", notes: "first" }), 2));
    t.same(events[0]!.changes, { notes: [null, "first"] });
    ({ events } = await expectAuditEvents(t, db, () => apply({ change_notes: "1", notes_mode: "append", notes: "second" }), 2));
    t.same(events[0]!.changes, { notes: ["first", "first\nsecond"] });
    t.equal((await did(id0)).notes, "first\nsecond");
    await expectAuditEvents(t, db, () => apply({ change_notes: "1", notes_mode: "clear" }), 2);
    t.equal((await did(id0)).notes, null);
    ({ events } = await expectAuditEvents(t, db, () => apply({ change_after_hold: "1", after_hold: "archive" }), 2));
    t.same(events[0]!.changes, { after_hold_status: ["in_stock", "archive"] });
    ({ events } = await expectAuditEvents(t, db, () => apply({ change_tag: "1", tag_mode: "clear" }), 2));
    t.same(events[0]!.changes, { tag: ["vip", null] });
    t.match(await did(id0), { tag: null, notes: null, afterHoldStatus: "archive", status: "reserved" });
    const res = await apply({ change_tag: "1", tag_mode: "clear" });
    t.equal(res.statusCode, 303);
    const again = await follow(res);
    t.match(text(html(again.body).querySelector(".flash")), /Changed 0 DIDs\. 2 already had these values/, "no change, no event");
    await db.did.updateMany({ where: { id: { in: free.slice(0, 2).map((d) => d.id) } }, data: { tag: "batch-1" } });
  });

  t.test("appending past the notes limit skips those DIDs, with the reason", async (t) => {
    await db.did.update({ where: { id: free[2]!.id }, data: { notes: "n".repeat(995) } });
    const fields = { search: "", id: ids(free.slice(2, 4)), change_notes: "1", notes_mode: "append", notes: "123456" };
    const preview = html((await post(admin, "/dids/mass-edit/preview", fields)).body);
    t.equal(text(preview.querySelector(".preview-summary")), "1 DID will change; 1 will be skipped.");
    t.match(text(preview.querySelector(".skipped")), /1 is their notes would pass 1,000 characters/);
    await expectAuditEvents(t, db, () => post(admin, "/dids/mass-edit/apply", fields), [{ objectId: free[3]!.id, changes: { notes: [null, "123456"] } }]);
  });

  t.test("all matching: a search that now matches another number asks again", async (t) => {
    const fields = { search: "tag=batch-1", select: "all", change_tag: "1", tag: "renamed" };
    const preview = html((await post(admin, "/dids/mass-edit/preview", fields)).body);
    const expected = preview.querySelector('input[name="expected"]')!.getAttribute("value")!;
    await makeDids(db, op.id, ["380449999999"], { tag: "batch-1" });
    const { result: res } = await expectAuditEvents(t, db, () => post(admin, "/dids/mass-edit/apply", { ...fields, expected }), 0);
    t.equal(res.statusCode, 409);
    const doc = html(res.body);
    t.match(text(doc.querySelector('[role="alert"]')), /now matches 64 DIDs, not 63 as the confirmation showed/);
    t.equal(doc.querySelector('input[name="expected"]')!.getAttribute("value"), "64", "the new count, to confirm again");
    await expectAuditEvents(t, db, () => post(admin, "/dids/mass-edit/apply", { ...fields, expected: "64" }), 64);
    t.equal(await db.did.count({ where: { tag: "renamed" } }), 64, "acts on every match, not one page");
    await db.did.updateMany({ where: { tag: "renamed" }, data: { tag: "batch-1" } });
  });

  t.test("this page: the ids of the rows shown", async (t) => {
    const doc = html((await admin.inject({ url: "/dids?tag=batch-1&per=25" })).body);
    const pageIds = doc.querySelectorAll('input[name="page_id"]').map((i) => i.getAttribute("value")!);
    t.equal(pageIds.length, 25);
    const res = await post(admin, "/dids/mass-edit/preview", { search: "tag=batch-1&per=25", select: "page", page_id: pageIds, change_tag: "1", tag: "page-1" });
    t.equal(text(html(res.body).querySelector(".preview-summary")), "25 DIDs will change.");
  });

  t.test("with htmx: dialogs, then only the search area refreshes", async (t) => {
    const fields = { search: "tag=batch-1", id: ids(free.slice(0, 3)), change_tag: "1", tag: "via-htmx" };
    const preview = await post(admin, "/dids/mass-edit/preview", fields, htmx);
    t.equal(preview.statusCode, 200);
    t.notMatch(preview.body, /<html/);
    t.equal(text(html(preview.body).querySelector("#dialog-title")), "Confirm the mass edit");
    t.equal(html(preview.body).querySelector("form")!.getAttribute("hx-post"), "/dids/mass-edit/apply");
    const res = await post(admin, "/dids/mass-edit/apply", fields, htmx);
    t.equal(res.statusCode, 200);
    const doc = html(res.body);
    const browser = doc.querySelector("#did-browser")!;
    t.equal(browser.getAttribute("hx-swap-oob"), "true", "the search area swaps out of band; the dialog empties");
    t.match(text(browser.querySelector(".flash")), /Changed 3 DIDs/);
    t.equal(browser.querySelector('input[name="tag"]')!.getAttribute("value"), "batch-1", "the same search as before");
    await db.did.updateMany({ where: { tag: "via-htmx" }, data: { tag: "batch-1" } });
  });

  t.test("delete selected: the same confirmation and rules", async (t) => {
    const selection = { search: "", id: [...ids(free.slice(50, 53)), ...ids(assigned)] };
    const preview = await post(admin, "/dids/mass-delete", selection);
    t.equal(preview.statusCode, 200);
    const doc = html(preview.body);
    t.equal(text(doc.querySelector(".preview-summary")), "3 DIDs will be deleted; 2 will be skipped.");
    t.match(text(doc.querySelector(".skipped")), /2 are assigned to a client account \(release them first\): Hotel \/ desk \(2\)/);
    const last = await did(free[50]!.id);
    const { result: res, events } = await expectAuditEvents(t, db, () => post(admin, "/dids/mass-delete/apply", { ...selection, expected: "5" }), 3);
    t.equal(res.statusCode, 303);
    t.match(events[0], { action: "mass_delete", objectId: last.id, label: last.number, changes: { number: [last.number, null], operator: ["Kyivstar", null], status: [last.status, null], tag: [last.tag, null] } });
    t.equal(await db.did.count({ where: { id: { in: free.slice(50, 53).map((d) => d.id) } } }), 0);
    t.equal(await db.did.count({ where: { id: { in: assigned.map((d) => d.id) } } }), 2, "assigned DIDs stay");
    const operation = await db.operation.findFirstOrThrow({ where: { requestId: events[0]!.requestId } });
    t.match(operation, { kind: "mass_delete", didCount: 3, skippedCount: 2 });
  });

  t.test("single edit, delete and create write their events too", async (t) => {
    const target = free[10]!;
    await expectAuditEvents(
      t,
      db,
      () => post(admin, `/dids/${target.id}/edit`, { operator: String(op.id), status: "blocked", after_hold: "in_stock", hold_days: "0", tag: "batch-1", notes: "" }),
      [{ action: "edit", objectId: target.id, label: target.number, actorName: "admin", changes: { status: ["reserved", "blocked"] } }],
    );
    const other = await makeOperator(db, { name: "Lifecell", resellerId: reseller.id });
    await expectAuditEvents(
      t,
      db,
      () => post(admin, `/dids/${target.id}/edit`, { operator: String(other.id), status: "blocked", after_hold: "in_stock", hold_days: "0", tag: "batch-1", notes: "" }),
      [{ action: "edit", changes: { operator: ["Kyivstar", "Lifecell"] } }],
    );
    await expectAuditEvents(t, db, () => post(admin, `/dids/${target.id}/edit`, { operator: String(op.id), status: "active", after_hold: "in_stock", hold_days: "0" }), 0, "a refused edit");
    await expectAuditEvents(t, db, () => post(admin, `/dids/${target.id}/delete`, {}), [
      { action: "delete", objectId: target.id, label: target.number, changes: { number: [target.number, null], status: ["blocked", null], operator: ["Lifecell", null] } },
    ]);
    const { events } = await expectAuditEvents(t, db, () => post(admin, "/dids/new", { numbers: "380447000000-380447000004", operator: String(op.id), status: "reserved", tag: "new" }), 5);
    t.match(events[0], { action: "create", label: "380447000000", changes: { operator: [null, "Kyivstar"], status: [null, "reserved"], after_hold_status: [null, "in_stock"], tag: [null, "new"] } });
    const operation = await db.operation.findFirstOrThrow({ where: { requestId: events[0]!.requestId } });
    t.match(operation, { kind: "create", didCount: 5 });
  });

  t.test("review fixes: exact fits, repeated filters, stale selections, moves between resellers, lock waits", async (t) => {
    // Appending 1,000 characters to empty notes fits exactly (no new line is added).
    const [empty] = await makeDids(db, op.id, ["380445550001"], { tag: "fit" });
    const full = "f".repeat(1000);
    await expectAuditEvents(t, db, () => post(admin, "/dids/mass-edit/apply", { search: "", id: [String(empty!.id)], change_notes: "1", notes_mode: "append", notes: full }), 1);
    t.equal((await did(empty!.id)).notes, full);

    // With htmx, the search shown after the change keeps both statuses.
    const res = await post(admin, "/dids/mass-edit/apply", { search: "status=in_stock&status=reserved&tag=fit", select: "all", change_tag: "1", tag: "fit" }, htmx);
    const browser = html(res.body).querySelector("#did-browser")!;
    t.same(browser.querySelectorAll('input[name="status"][checked]').map((i) => i.getAttribute("value")), ["in_stock", "reserved"], "both statuses still ticked");
    t.equal(browser.querySelector('form#bulk input[name="search"]')!.getAttribute("value"), "status=in_stock&status=reserved&tag=fit");

    // A mass edit's operation id is not a creation batch.
    const op2 = await db.operation.findFirstOrThrow({ where: { kind: "mass_edit" } });
    const batchPage = await admin.inject({ url: `/dids?batch=${op2.id}` });
    t.equal(batchPage.statusCode, 400);
    t.match(text(html(batchPage.body).querySelector("#batch-error")), /no creation batch/);

    // Ticked ids of which one was deleted meanwhile: asked again, with the new count.
    const pair = await makeDids(db, op.id, ["380445550002", "380445550003"]);
    await db.did.delete({ where: { id: pair[1]!.id } });
    const stale = await post(admin, "/dids/mass-edit/apply", { search: "", id: ids(pair), change_tag: "1", tag: "x", expected: "2" });
    t.equal(stale.statusCode, 409);
    t.match(text(html(stale.body).querySelector('[role="alert"]')), /Only 1 DID of the selection still exist, not 2/);
    t.equal((await did(pair[0]!.id)).tag, null, "nothing written");

    // An admin moves a DID to another reseller's operator: each reseller sees its own side only.
    const otherReseller = await makeReseller(db, "Umbrella");
    const theirs = await makeOperator(db, { name: "SecretOp", resellerId: otherReseller.id });
    const [moving] = await makeDids(db, op.id, ["380445550004"]);
    const { events } = await expectAuditEvents(
      t,
      db,
      () => post(admin, `/dids/${moving!.id}/edit`, { operator: String(theirs.id), status: "in_stock", after_hold: "in_stock", hold_days: "0" }),
      [
        { action: "edit", resellerId: otherReseller.id, changes: { operator: ["(another reseller)", "SecretOp"] } },
        { action: "edit", resellerId: reseller.id, changes: { operator: ["Kyivstar", "(moved to another reseller)"] } },
      ],
    );
    t.equal(events.length, 2);

    // A mass edit that waits too long for rows another transaction holds: "try again", nothing written.
    const [held2] = await makeDids(db, op.id, ["380445550005"]);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM did WHERE id = $1 FOR UPDATE", [held2!.id]);
      const adminUser = await db.user.findFirstOrThrow({ where: { username: "admin" } });
      const writer = callerOf(actorFor(adminUser), "00000000-0000-4000-8000-000000000001");
      const outcome = await massEdit(db, writer, { selection: { kind: "ids", ids: [held2!.id] }, changes: { tag: "late" } }, true, 300);
      t.same(outcome, { kind: "busy" }, "the route answers it with a 409 and “try again”");
    } finally {
      await other.query("ROLLBACK");
      await other.end();
    }
    t.equal((await did(held2!.id)).tag, null);
  });
});
