// Editing one DID (with the status rules) and deleting one after a confirmation.
import t from "tap";
import { buildTestApp, form, html, htmx, text } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator } from "../helpers/factories.js";

t.test("edit and delete", async (t) => {
  const { db, admin } = await buildTestApp(t);
  const op = await makeOperator(db, { name: "Kyivstar" });
  const other = await makeOperator(db, { name: "Lifecell" });
  const account = await makeClientAccount(db, op.resellerId, { client: "Hotel", account: "desk" });
  const [free] = await makeDids(db, op.id, ["380441000001"], { tag: "old", notes: "n" });
  const [assigned] = await makeDids(db, op.id, ["380441000002"], { status: "active", clientAccountId: account.id });
  const edit = (id: number | string, fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const f = form({ operator: String(op.id), status: "in_stock", after_hold: "in_stock", hold_days: "0", ...fields });
    return admin.inject({ method: "POST", url: `/dids/${id}/edit`, payload: f.payload, headers: { ...f.headers, ...headers } });
  };

  t.test("the edit page shows the DID's values", async (t) => {
    const res = await admin.inject({ url: `/dids/${free!.id}/edit`, headers: { referer: "http://localhost:80/dids?tag=old" } });
    t.equal(res.statusCode, 200);
    const doc = html(res.body);
    t.equal(text(doc.querySelector("h1")), "DID 380441000001");
    t.equal(doc.querySelector("#e-tag")?.getAttribute("value"), "old");
    t.ok(doc.querySelector(`#e-operator option[value="${op.id}"]`)?.hasAttribute("selected"));
    t.equal(doc.querySelector('input[name="back"]')?.getAttribute("value"), "/dids?tag=old", "returns to the search it came from");
  });

  t.test("saving changes every field and returns to the list", async (t) => {
    const res = await edit(free!.id, { operator: String(other.id), status: "reserved", after_hold: "archive", hold_days: "30", tag: "new", notes: "<i>x</i>", back: "/dids?tag=new" });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, "/dids?tag=new");
    const did = await db.did.findUniqueOrThrow({ where: { id: free!.id } });
    t.match(did, { operatorId: other.id, status: "reserved", afterHoldStatus: "archive", holdDays: 30, tag: "new", notes: "<i>x</i>" });
    const htmxRes = await edit(free!.id, { tag: "", notes: "", back: "https://evil.example/" }, htmx);
    t.equal(htmxRes.statusCode, 204);
    t.equal(htmxRes.headers["hx-redirect"], "/dids", "no redirect off-site");
    const cleared = await db.did.findUniqueOrThrow({ where: { id: free!.id } });
    t.equal(cleared.tag, null);
    t.equal(cleared.notes, null);
  });

  t.test("status rules", async (t) => {
    let res = await edit(free!.id, { status: "active" });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#status-error")), /Only a DID assigned to a client account can be active/);
    res = await edit(free!.id, { status: "blocked" });
    t.equal(res.statusCode, 303, "an unassigned DID can be blocked");
    res = await edit(assigned!.id, { status: "in_stock" });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#status-error")), /is assigned to Hotel \/ desk: by hand it can only be active or blocked/);
    t.match(text(html(res.body).querySelector("#status-error")), /Hotel \/ desk/, "the refusal names the client and account");
    res = await edit(assigned!.id, { status: "hold", hold_days: "7", after_hold: "reserved" });
    t.equal(res.statusCode, 422, "hold comes only from the end of a subscription, never by hand");
    res = await edit(assigned!.id, { status: "blocked" });
    t.equal(res.statusCode, 303, "an assigned DID may be blocked");
    res = await edit(assigned!.id, { status: "active" });
    t.equal(res.statusCode, 303, "and active again");
    const holdUntil = new Date(Date.now() + 7 * 86_400_000);
    await db.did.update({ where: { id: assigned!.id }, data: { status: "hold", holdUntil } });
    res = await edit(assigned!.id, { status: "active" });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#status-error")), /on hold after Hotel \/ desk's package ended/);
    res = await edit(assigned!.id, { status: "hold", tag: "kept" });
    t.equal(res.statusCode, 303, "a DID on hold keeps its status and takes other edits");
    const held = await db.did.findUniqueOrThrow({ where: { id: assigned!.id } });
    t.match(held, { status: "hold", tag: "kept" });
    t.same(held.holdUntil, holdUntil, "the hold's end is not touched by an edit");
    await db.did.update({ where: { id: assigned!.id }, data: { status: "active", holdUntil: null, tag: null } });
  });

  t.test("bad input: 422 at the field, nothing written", async (t) => {
    const snapshot = await db.did.findUniqueOrThrow({ where: { id: free!.id } });
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ status: "sold" }, "status", /not a valid status/],
      [{ operator: "999999" }, "operator", /does not exist/],
      [{ operator: "x1" }, "operator", /whole number/],
      [{ hold_days: "-1" }, "hold_days", /from 0 to 3,650/],
      [{ hold_days: "1e3" }, "hold_days", /whole number/],
      [{ hold_days: "99999" }, "hold_days", /from 0 to 3,650/],
      [{ after_hold: "active" }, "after_hold", /not a valid/],
      [{ tag: "x".repeat(65) }, "tag", /at most 64/],
      [{ notes: "y".repeat(1001) }, "notes", /at most 1,000/],
    ];
    for (const [fields, field, message] of cases) {
      const res = await edit(free!.id, { ...fields, tag: fields.tag ?? "changed" });
      t.equal(res.statusCode, 422, JSON.stringify(fields).slice(0, 50));
      t.match(text(html(res.body).querySelector(`#${field}-error`)), message);
    }
    t.same(await db.did.findUniqueOrThrow({ where: { id: free!.id } }), snapshot);
  });

  t.test("unknown and non-numeric IDs", async (t) => {
    for (const url of ["/dids/abc/edit", "/dids/1.5/edit", "/dids/-3/delete", "/dids/99999999999/edit", `/dids/${"9".repeat(500)}/edit`, "/dids/%00%3Cb%3E/edit"]) {
      const res = await admin.inject({ url });
      t.equal(res.statusCode, 400, url.slice(0, 40));
      t.match(text(html(res.body).querySelector("h1")), /Bad DID ID/);
      t.notMatch(res.body, /\u0000|<b>/, "no NUL or markup echoed");
    }
    t.equal((await admin.inject({ url: "/dids/999999/edit" })).statusCode, 404);
    t.equal((await edit(999999, {})).statusCode, 404);
    t.equal((await edit("abc", {})).statusCode, 400);
    t.equal((await admin.inject({ method: "POST", url: "/dids/999999/delete" })).statusCode, 404);
  });

  t.test("a return URL with characters a header cannot carry is encoded, not a 500", async (t) => {
    const [d] = await makeDids(db, op.id, ["380441000009"]);
    const res = await admin.inject({ method: "POST", url: `/dids/${d!.id}/delete`, ...form({ back: "/dids?tag=€\u0000x" }) });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, "/dids?tag=%E2%82%AC%00x");
    const saved = await edit(free!.id, { tag: "x", back: "/dids?tag=\u007fy" }, htmx);
    t.equal(saved.statusCode, 204);
    t.equal(saved.headers["hx-redirect"], "/dids?tag=%7Fy");
  });

  t.test("delete asks first, then deletes", async (t) => {
    const [victim] = await makeDids(db, op.id, ["380441000003"]);
    const page = await admin.inject({ url: `/dids/${victim!.id}/delete` });
    t.equal(page.statusCode, 200);
    t.match(text(html(page.body).querySelector(".panel")), /Delete DID 380441000003 .* This cannot be undone/);
    const dialog = await admin.inject({ url: `/dids/${victim!.id}/delete`, headers: htmx });
    t.notMatch(dialog.body, /<html/);
    t.ok(html(dialog.body).querySelector(".modal form[hx-post]"));
    const res = await admin.inject({ method: "POST", url: `/dids/${victim!.id}/delete`, ...form({ back: "/dids?contains=3804410" }) });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, "/dids?contains=3804410");
    t.equal(await db.did.count({ where: { id: victim!.id } }), 0);
    const cookie = String(res.headers["set-cookie"]).split(";")[0]!;
    t.equal(text(html((await admin.inject({ url: "/dids", headers: { cookie } })).body).querySelector(".flash")), "Deleted DID 380441000003.");
  });

  t.test("an assigned DID cannot be deleted, and the page says why", async (t) => {
    const page = await admin.inject({ url: `/dids/${assigned!.id}/delete` });
    t.match(text(html(page.body).querySelector(".error-box")), /assigned to Hotel \/ desk and cannot be deleted/);
    t.notOk(html(page.body).querySelector("button.danger"), "no delete button");
    const res = await admin.inject({ method: "POST", url: `/dids/${assigned!.id}/delete`, ...form({}) });
    t.equal(res.statusCode, 409);
    t.match(text(html(res.body).querySelector(".error-box")), /Release it from the client before deleting it/);
    t.equal(await db.did.count({ where: { id: assigned!.id } }), 1);
  });
});
