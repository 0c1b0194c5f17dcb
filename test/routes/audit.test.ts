// GET /audit: the page and its htmx fragment, every filter, keyset paging, bad URLs, scope,
// and the summary of a request's operation. Events are inserted straight into audit_event.
import { randomUUID } from "node:crypto";
import t from "tap";
import type { Db } from "../../src/db/prisma.js";
import { objectHistoryUrl, parseTime } from "../../src/modules/audit/audit-filters.js";
import { buildTestApp, html, htmx, text, type Browser } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

interface NewEvent {
  at: string;
  requestId?: string;
  actorId?: number | null;
  actorName?: string | null;
  action: string;
  objectType: string;
  objectId?: number | null;
  resellerId?: number | null;
  label: string;
  changes?: Record<string, [unknown, unknown]>;
}

async function insertEvent(db: Db, e: NewEvent): Promise<bigint> {
  const [row] = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO audit_event (occurred_at, request_id, actor_id, actor_name, action, object_type, object_id, reseller_id, label, changes)
    VALUES (${new Date(e.at)}, ${e.requestId ?? randomUUID()}::uuid, ${e.actorId ?? null}, ${e.actorName ?? null}, ${e.action}::"AuditAction",
      ${e.objectType}::"AuditObjectType", ${e.objectId ?? null}, ${e.resellerId ?? null}, ${e.label},
      ${e.changes ? JSON.stringify(e.changes) : null}::jsonb)
    RETURNING id`;
  return row!.id;
}

/** The table's rows as { time, actor, action, object, changes, request } texts. */
function events(body: string) {
  return html(body)
    .querySelectorAll("table.audit tbody tr")
    .map((tr) => {
      const [time = "", actor = "", action = "", object = "", changes = "", request = ""] = tr.querySelectorAll("td").map((td) => text(td));
      return { time, actor, action, object, changes, request };
    });
}

t.test("the audit log", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const a = await makeReseller(db, "Reseller A");
  const b = await makeReseller(db, "Reseller B");
  const opA = await makeOperator(db, { name: "Operator A", resellerId: a.id });
  const opB = await makeOperator(db, { name: "Operator B", resellerId: b.id });
  const [a1, a2] = await makeDids(db, opA.id, ["380441000001", "380441000002"]);
  const [b1] = await makeDids(db, opB.id, ["15551000001"]);
  const alice = await signInAs({ role: "reseller", resellerId: a.id, username: "alice" });
  const bob = await signInAs({ role: "reseller", resellerId: b.id, username: "bob" });
  const supportA = await signInAs({ role: "support", resellerId: a.id, username: "desk-a" });
  const support = await signInAs({ role: "support", username: "desk" });
  const aliceId = (await db.user.findUniqueOrThrow({ where: { username: "alice" } })).id;
  const bobId = (await db.user.findUniqueOrThrow({ where: { username: "bob" } })).id;
  const adminId = (await db.user.findUniqueOrThrow({ where: { username: "admin" } })).id;
  // Signing the users in wrote sign-in events; this test's own events replace them (its
  // database is its own, and the app itself never deletes events).
  await db.$transaction([db.$executeRaw`SET LOCAL did_inventory.allow_audit_purge = on`, db.$executeRaw`DELETE FROM audit_event`]);

  const massRequest = randomUUID();
  const adminRequest = randomUUID();
  // Oldest first; ids ascend with the times.
  const inserted = {
    aliceEdit: await insertEvent(db, { at: "2026-01-10T10:00:00Z", actorId: aliceId, actorName: "alice", action: "edit", objectType: "did", objectId: a1!.id, resellerId: a.id, label: a1!.number, changes: { status: ["in_stock", "reserved"] } }),
    adminEdit: await insertEvent(db, { at: "2026-01-11T09:30:00Z", requestId: adminRequest, actorId: adminId, actorName: "admin", action: "edit", objectType: "did", objectId: a1!.id, resellerId: a.id, label: a1!.number, changes: { tag: [null, "gold"], notes: ["x".repeat(200), "<b>bold</b>"] } }),
    deleted: await insertEvent(db, { at: "2026-01-12T00:00:00Z", actorId: aliceId, actorName: "alice", action: "delete", objectType: "did", objectId: 999_999, resellerId: a.id, label: "380441999999", changes: { status: ["in_stock", null] } }),
    operator: await insertEvent(db, { at: "2026-01-12T12:00:00Z", actorId: bobId, actorName: "bob", action: "create", objectType: "operator", objectId: opB.id, resellerId: b.id, label: "Operator B", changes: { name: [null, "Operator B"] } }),
    signIn: await insertEvent(db, { at: "2026-01-13T08:00:00Z", actorId: aliceId, actorName: "alice", action: "sign_in", objectType: "user", objectId: aliceId, resellerId: a.id, label: "alice" }),
    failed: await insertEvent(db, { at: "2026-01-13T08:01:00Z", action: "sign_in_failed", objectType: "user", label: "mallory" }),
    system: await insertEvent(db, { at: "2026-01-14T03:00:00Z", actorName: "system", action: "edit", objectType: "did", objectId: b1!.id, resellerId: b.id, label: b1!.number, changes: { status: ["hold", "in_stock"] } }),
    ghost: await insertEvent(db, { at: "2026-01-15T10:00:00Z", actorId: 424_242, actorName: "Ghost", action: "edit", objectType: "did", objectId: a2!.id, resellerId: a.id, label: a2!.number, changes: { tag: ["a", "b"] } }),
    mass1: await insertEvent(db, { at: "2026-01-16T10:00:00Z", requestId: massRequest, actorId: bobId, actorName: "bob", action: "mass_edit", objectType: "did", objectId: b1!.id, resellerId: b.id, label: b1!.number, changes: { tag: [null, "x"] } }),
    mass2: await insertEvent(db, { at: "2026-01-16T10:00:00Z", requestId: massRequest, actorId: bobId, actorName: "bob", action: "mass_edit", objectType: "did", objectId: 123_456, resellerId: b.id, label: "15551000999", changes: { tag: [null, "x"] } }),
  };
  t.equal(Object.keys(inserted).length, 10);
  await db.operation.create({ data: { kind: "mass_edit", didCount: 12_345, skippedCount: 17, requestId: massRequest, createdById: bobId, createdAt: new Date("2026-01-16T10:00:00Z") } });
  await db.operation.create({ data: { kind: "mass_edit", didCount: 2, requestId: adminRequest, createdById: adminId, createdAt: new Date("2026-01-11T09:30:00Z") } });

  const get = (who: Browser, url: string, headers: Record<string, string> = {}) => who.inject({ url, headers });
  const labels = async (url: string, who: Browser = admin) => {
    const res = await get(who, url);
    t.equal(res.statusCode, 200, url);
    return events(res.body).map((e) => e.object);
  };

  t.test("full page: layout, newest first, what each event shows", async (t) => {
    const res = await get(admin, "/audit");
    t.equal(res.statusCode, 200);
    t.match(res.headers.vary, /HX-Request/);
    const doc = html(res.body);
    t.ok(doc.querySelector("html"), "a whole document");
    t.equal(text(doc.querySelector("title")), "Audit log · DID inventory");
    t.equal(doc.querySelector('nav a[aria-current="page"]')?.getAttribute("href"), "/audit", "the nav tab");
    t.same(doc.querySelectorAll("table.audit thead th").map((th) => text(th)), ["Time (UTC)", "Actor", "Action", "Object", "Changes", "Request"]);
    const rows = events(res.body);
    t.equal(rows.length, 10);
    t.same(rows.map((r) => r.actor), ["bob", "bob", "Ghost", "system", "not signed in", "alice", "bob", "alice", "admin", "alice"]);
    t.same(rows[0], { time: "2026-01-16 10:00:00", actor: "bob", action: "Mass edit", object: "DID 15551000999 history", changes: "Tag: — → x", request: massRequest.slice(0, 8) });
    const adminEdit = rows.find((r) => r.actor === "admin")!;
    t.match(adminEdit.changes, /^Tag: — → gold/);
    t.match(adminEdit.changes, new RegExp(`Notes: x{60}…x{61,} → <b>bold</b>`), "long values are cut, the whole one click away, markup is text");
    t.notOk(res.body.includes("<b>bold</b>"), "escaped");
    t.match(rows.find((r) => r.action === "Deleted")!.changes, "Status: In stock → —");
    t.same(rows.find((r) => r.action === "Sign-in failed")!.object, "User mallory");
    t.notOk(doc.querySelector(".pager"), "no pager when everything fits");

    const links = doc.querySelectorAll("table.audit tbody tr").map((tr) => tr.querySelectorAll("td")[3]!.querySelectorAll("a").map((l) => l.getAttribute("href")));
    t.same(links[rows.findIndex((r) => r.actor === "admin")], [`/dids/${a1!.id}`, `/audit?type=did&object=${a1!.id}`], "a DID links to its page and its history");
    t.same(links[rows.findIndex((r) => r.action === "Deleted")], ["/audit?type=did&object=999999"], "a deleted DID has no page to link to");
    t.same(links[rows.findIndex((r) => r.action === "Signed in")], [`/users/${aliceId}/edit`, `/audit?type=user&object=${aliceId}`], "admins get the user's page");
    const request = doc.querySelector("table.audit tbody tr td:last-child a");
    t.equal(request?.getAttribute("href"), `/audit?request=${massRequest}`);
    t.equal(request?.getAttribute("title"), "All changes of this request");
  });

  t.test("fragment for htmx: no layout, canonical URL pushed; a history restore gets the page", async (t) => {
    const res = await get(admin, "/audit?type=did&object=&actor=ALICE&action=", htmx);
    t.equal(res.statusCode, 200);
    t.notMatch(res.body, /<html/);
    t.match(res.headers.vary, /HX-Request/);
    t.equal(res.headers["hx-push-url"], "/audit?type=did&actor=alice");
    t.ok(html(res.body).querySelector("#audit-browser form[method=get][action='/audit']"));
    t.same(events(res.body).map((e) => e.action), ["Deleted", "Edited"]);
    const restore = await get(admin, "/audit?type=did", { ...htmx, "hx-history-restore-request": "true" });
    t.match(restore.body, /<html/);
  });

  t.test("each filter, and combined filters", async (t) => {
    t.same(await labels("/audit?type=operator"), ["Operator Operator B history"]);
    t.same(await labels(`/audit?type=did&object=${a1!.id}`), [`DID ${a1!.number}`, `DID ${a1!.number}`], "a DID's history");
    t.same(await labels(`/audit?type=user&object=${a1!.id}`), [], "ids are per type");
    t.same(await labels("/audit?number=%2B380%2044%20199%209999"), ["DID 380441999999 history"], "a deleted DID by its number, formatted");
    t.same(await labels("/audit?number=(380)441.999.999&type=did"), ["DID 380441999999 history"]);
    t.same((await labels("/audit?actor=Alice")).length, 3, "actor: a current user, any letter case");
    t.same(await labels("/audit?actor=system"), [`DID ${b1!.number} history`], "the scheduled work");
    t.same(await labels("/audit?actor=ghost"), [`DID ${a2!.number} history`], "a user no longer in app_user, by the name written then");
    t.same(await labels("/audit?actor=nobody"), []);
    t.same(await labels("/audit?action=sign_in_failed"), ["User mallory"]);
    t.same((await labels(`/audit?request=${massRequest.toUpperCase()}`)).length, 2, "request ids in any case");
    t.same(await labels("/audit?from=2026-01-15"), ["DID 15551000999 history", `DID ${b1!.number} history`, `DID ${a2!.number} history`]);
    t.same((await labels("/audit?to=2026-01-10")).length, 1, "to includes the whole day");
    t.same((await labels("/audit?from=2026-01-12&to=2026-01-13")).length, 4);
    t.same((await labels("/audit?from=2026-01-13T08:00&to=2026-01-13T08:00")).length, 1, "datetime-local: to includes that minute");
    t.same((await labels("/audit?from=2026-01-13%2008:00:30")).length, 5, "seconds, and a space for the T");
    t.same(await labels("/audit?type=did&actor=alice&action=delete&from=2026-01-01&to=2026-12-31"), ["DID 380441999999 history"], "combined");
    t.same(await labels(`/audit?type=did&object=${a1!.id}&actor=admin`), [`DID ${a1!.number}`]);
    const empty = html((await get(admin, "/audit?actor=nobody")).body);
    t.match(text(empty.querySelector(".empty")), /No events match this search/);
    t.ok(empty.querySelector('.empty a[href="/audit"]'));
  });

  t.test("the form shows the search it answers", async (t) => {
    const doc = html((await get(admin, `/audit?type=did&object=${a1!.id}&actor=Admin&from=2026-01-01&to=2026-01-31T10:00`)).body);
    t.equal(doc.querySelector("#a-type option[selected]")?.getAttribute("value"), "did");
    t.equal(doc.querySelector("#a-object")?.getAttribute("value"), String(a1!.id));
    t.equal(doc.querySelector("#a-actor")?.getAttribute("value"), "admin");
    t.equal(doc.querySelector("#a-to")?.getAttribute("value"), "2026-01-31T10:00");
    for (const input of doc.querySelectorAll("#audit-browser form input, #audit-browser form select")) {
      t.ok(doc.querySelector(`label[for="${input.getAttribute("id")}"]`), `${input.getAttribute("name")} has a label`);
    }
  });

  t.test("bad input: 400, the message next to its field, never a 500", async (t) => {
    const cases: [string, string, RegExp][] = [
      ["type=car", "type", /"car" is not a valid object type/],
      ["type=did&object=abc", "object", /Object ID must be a whole number ID/],
      ["object=5", "object", /needs its object type/],
      ["object=99999999999&type=did", "object", /whole number ID/],
      ["number=12a4", "number", /digits only/],
      ["number=12", "number", /3 to 20 digits/],
      ["number=380441999999&type=operator", "number", /choose the object type DID/],
      ["actor=a%20b", "actor", /a username/],
      ["action=steal", "action", /"steal" is not a valid action/],
      ["request=not-a-uuid", "request", /is a UUID/],
      ["request=%FF", "request", /not valid text/],
      ["from=2026-13-01", "from", /YYYY-MM-DD/],
      ["from=2026-02-30", "from", /YYYY-MM-DD/],
      ["to=yesterday", "to", /YYYY-MM-DD/],
      ["from=2026-01-02&to=2026-01-01", "to", /To must not be before from/],
      ["type=did&type=user", "type", /Give this field once/],
      ["actor=alice&actor=bob", "actor", /Give this field once/],
      ["before=-1", "before", /must be an event ID/],
      ["before=99999999999999999999", "before", /must be an event ID/],
    ];
    for (const [query, field, message] of cases) {
      const res = await get(admin, `/audit?${query}`);
      t.equal(res.statusCode, 400, query);
      t.notMatch(res.body, /at .*\.(ts|js):\d+/, "no stack trace");
      const doc = html(res.body);
      t.match(text(doc.querySelector(`#${field}-error`)), message, `${query}: message at ${field}`);
      if (field !== "before") t.equal(doc.querySelector(`[name="${field}"]`)?.getAttribute("aria-describedby"), `${field}-error`, `${query}: the field points at it`);
      t.equal(events(res.body).length, 0, "no events for a bad search");
    }
    const fragment = await get(admin, "/audit?request=nope", htmx);
    t.equal(fragment.statusCode, 400);
    t.notMatch(fragment.body, /<html/, "the fragment too, with the message in the form");
    t.equal(fragment.headers["hx-push-url"], undefined, "a bad search is not pushed");
    t.match(text(html(fragment.body).querySelector("#request-error")), /UUID/);
  });

  t.test("the summary of a request's operation", async (t) => {
    const doc = html((await get(admin, `/audit?request=${massRequest}`)).body);
    t.equal(text(doc.querySelector(".results .notice")), "This mass edit by bob on 2026-01-16 10:00 UTC changed 12,345 DIDs; 17 were skipped.");
    t.notOk(html((await get(admin, `/audit?type=did&object=${b1!.id}`)).body).querySelector(".results .notice"), "only for a request search");
    const noSkips = html((await get(admin, `/audit?request=${adminRequest}`)).body);
    t.equal(text(noSkips.querySelector(".results .notice")), "This mass edit by admin on 2026-01-11 09:30 UTC changed 2 DIDs.");
    const create = randomUUID();
    await db.operation.create({ data: { kind: "create", didCount: 1, skippedCount: 1, requestId: create, createdById: aliceId } });
    t.match(text(html((await get(alice, `/audit?request=${create}`)).body).querySelector(".results .notice")), /^This creation by alice on .* created 1 DID; 1 was skipped\.$/);
  });

  t.test("scope: a reseller's users see only their reseller's events", async (t) => {
    const all = await labels("/audit", support);
    t.equal(all.length, 10, "unbound support sees everything");
    for (const who of [alice, supportA]) {
      const mine = events((await get(who, "/audit")).body);
      t.same(mine.map((e) => e.object.replace(/ history$/, "")), [`DID ${a2!.number}`, "User alice", "DID 380441999999", `DID ${a1!.number}`, `DID ${a1!.number}`], `${who.username}: reseller A's events only`);
    }
    t.same(await labels(`/audit?type=did&object=${b1!.id}`, alice), [], "not by another reseller's object id");
    t.same(await labels(`/audit?type=operator&object=${opB.id}`, alice), []);
    t.same(await labels("/audit?number=15551000001", alice), [], "nor by number");
    t.same(await labels("/audit?actor=bob", alice), [], "nor by actor");
    const byRequest = await get(alice, `/audit?request=${massRequest}`);
    t.same(events(byRequest.body), [], "nor by request id");
    t.notOk(html(byRequest.body).querySelector(".results .notice"), "and no summary of another reseller's operation");
    t.notMatch(byRequest.body, /12,345|Reseller B|Operator B/);
    const adminOperation = html((await get(alice, `/audit?request=${adminRequest}`)).body);
    t.equal(events(adminOperation.toString()).length, 1, "an admin's request: the events in scope");
    t.notOk(adminOperation.querySelector(".results .notice"), "but not the counts of a batch that may span resellers");
    t.equal(text(html((await get(bob, `/audit?request=${massRequest}`)).body).querySelector(".results .notice")), "This mass edit by bob on 2026-01-16 10:00 UTC changed 12,345 DIDs; 17 were skipped.", "their own reseller's operation");
    t.notOk(html((await get(alice, "/audit")).body).querySelector('table.audit a[href^="/users/"]'), "no links to the Users pages for non-admins");
  });

  t.test("keyset paging across 120 events", async (t) => {
    const [did] = await makeDids(db, opA.id, ["380449000000"]);
    const start = Date.parse("2026-03-01T00:00:00Z");
    for (let i = 0; i < 120; i++) {
      await insertEvent(db, { at: new Date(start + i * 1000).toISOString(), actorId: aliceId, actorName: "alice", action: "edit", objectType: "did", objectId: did!.id, resellerId: a.id, label: did!.number, changes: { notes: [String(i), String(i + 1)] } });
    }
    const seen: string[] = [];
    let url: string | undefined = objectHistoryUrl("did", did!.id);
    const pageSizes: number[] = [];
    while (url) {
      const res = await get(alice, url);
      t.equal(res.statusCode, 200, url);
      const doc = html(res.body);
      const rows = events(res.body);
      pageSizes.push(rows.length);
      seen.push(...rows.map((r) => r.changes));
      const older = doc.querySelector('.pager a[rel="next"]');
      if (seen.length > 50) t.equal(doc.querySelector(".pager a:not([rel])")?.getAttribute("href"), objectHistoryUrl("did", did!.id), "Newest goes back to the first page");
      url = older?.getAttribute("href");
      if (url) t.match(url, new RegExp(`^/audit\\?type=did&object=${did!.id}&before=\\d+$`));
      t.ok(pageSizes.length <= 3, "ends");
      if (pageSizes.length > 3) break;
    }
    t.same(pageSizes, [50, 50, 20]);
    t.same(seen, Array.from({ length: 120 }, (_, i) => `Notes: ${119 - i} → ${120 - i}`), "each event once, newest first");
    const past = await get(alice, `/audit?type=did&object=${did!.id}&before=1`);
    t.match(text(html(past.body).querySelector(".empty")), /No older events/);
    const unfiltered = html((await get(admin, "/audit")).body);
    t.equal(events(unfiltered.toString()).length, 50);
    t.match(unfiltered.querySelector('.pager a[rel="next"]')?.getAttribute("href") ?? "", /^\/audit\?before=\d+$/);
  });

  t.test("the DID history link format", async (t) => {
    t.equal(objectHistoryUrl("did", 5), "/audit?type=did&object=5");
    const res = await get(admin, "/audit?object=5&type=did");
    t.equal(res.statusCode, 200, "parameters in any order");
  });

  t.test("time values", async (t) => {
    t.same(parseTime("2026-01-31"), { start: new Date("2026-01-31T00:00:00Z"), next: new Date("2026-02-01T00:00:00Z") });
    t.same(parseTime("2026-01-31T23:59"), { start: new Date("2026-01-31T23:59:00Z"), next: new Date("2026-02-01T00:00:00Z") });
    t.same(parseTime("2026-01-31T23:59:59"), { start: new Date("2026-01-31T23:59:59Z"), next: new Date("2026-02-01T00:00:00Z") });
    for (const bad of ["2026-1-31", "2026-02-29", "2026-01-31T24:00", "2026-01-31T10:60", "31.01.2026", "1999-12-31"]) t.equal(parseTime(bad), undefined, bad);
  });
});
