// The Operators tab: list, search, create, delete; and the Resellers page.
import t from "tap";
import { buildTestApp, form, html, htmx, tableRows, text } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

t.test("operators", async (t) => {
  const { db, admin } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const globex = await makeReseller(db, "Globex");
  const kyiv = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const life = await makeOperator(db, { name: "Lifecell", resellerId: globex.id });
  await makeDids(db, kyiv.id, ["380441000001", "380441000002", "380441000003"]);

  t.test("list: columns, DID counts, filter links", async (t) => {
    const res = await admin.inject({ url: "/operators" });
    t.equal(res.statusCode, 200);
    t.match(res.headers.vary, /HX-Request/);
    const doc = html(res.body);
    t.same(doc.querySelectorAll("table.list thead th").map((th) => text(th)).slice(0, 4), ["ID", "Name", "DID's count", "Reseller"]);
    t.same(tableRows(doc).map((r) => r.slice(0, 4)), [[String(kyiv.id), "Kyivstar", "3", "Acme"], [String(life.id), "Lifecell", "0", "Globex"]]);
    t.ok(doc.querySelector(`a[href="/dids?operator=${kyiv.id}"]`), "the filter button opens the inventory filtered to it");
    const filtered = await admin.inject({ url: `/dids?operator=${kyiv.id}` });
    t.equal(tableRows(html(filtered.body)).length, 3);
  });

  t.test("search by name and filter by reseller, page and fragment", async (t) => {
    t.same(tableRows(html((await admin.inject({ url: "/operators?q=star" })).body)).map((r) => r[1]), ["Kyivstar"]);
    t.same(tableRows(html((await admin.inject({ url: `/operators?reseller=${globex.id}` })).body)).map((r) => r[1]), ["Lifecell"]);
    const fragment = await admin.inject({ url: `/operators?q=LIFE&reseller=`, headers: htmx });
    t.notMatch(fragment.body, /<html/);
    t.equal(fragment.headers["hx-push-url"], "/operators?q=LIFE");
    t.same(tableRows(html(fragment.body)).map((r) => r[1]), ["Lifecell"]);
    const none = html((await admin.inject({ url: "/operators?q=nothing-like-this" })).body);
    t.match(text(none.querySelector(".empty")), /No operators match/);
    const escaped = await admin.inject({ url: `/operators?q=${encodeURIComponent("%_<b>")}` });
    t.equal(escaped.statusCode, 200);
    t.equal(tableRows(html(escaped.body)).length, 0, "% and _ are literal");
    t.notMatch(escaped.body, /<b>/);
  });

  t.test("bad URLs answer 400 at the field", async (t) => {
    for (const [url, field] of [["/operators?reseller=abc", "reseller"], ["/operators?reseller=99999", "reseller"], ["/operators?page=-1", "page"], [`/operators?q=${"x".repeat(101)}`, "q"]] as const) {
      const res = await admin.inject({ url });
      t.equal(res.statusCode, 400, url);
      t.ok(html(res.body).querySelector(`#${field}-error`), url);
    }
  });

  t.test("create: page, dialog, success, and bad input", async (t) => {
    const page = await admin.inject({ url: "/operators/new" });
    t.equal(page.statusCode, 200);
    t.same(html(page.body).querySelectorAll("#n-reseller option").map((o) => text(o)), ["Choose…", "Acme", "Globex"]);
    const dialog = await admin.inject({ url: "/operators/new", headers: htmx });
    t.ok(html(dialog.body).querySelector(".modal form[hx-post='/operators/new']"));

    const ok = await admin.inject({ method: "POST", url: "/operators/new", ...form({ name: "  Vodafone UA  ", reseller: String(acme.id) }) });
    t.equal(ok.statusCode, 303);
    t.equal(ok.headers.location, "/operators");
    const created = await db.operator.findFirstOrThrow({ where: { name: "Vodafone UA" } });
    t.equal(created.resellerId, acme.id);
    const cookie = String(ok.headers["set-cookie"]).split(";")[0]!;
    t.equal(text(html((await admin.inject({ url: "/operators", headers: { cookie } })).body).querySelector(".flash")), "Created operator “Vodafone UA”.");

    const same = await admin.inject({ method: "POST", url: "/operators/new", ...form({ name: "Vodafone UA", reseller: String(globex.id) }) });
    t.equal(same.statusCode, 303, "the same name under another reseller is fine");

    const before = await db.operator.count();
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: "vodafone ua", reseller: String(acme.id) }, "name", /already has an operator named/],
      [{ name: "", reseller: String(acme.id) }, "name", /Name is required/],
      [{ name: "x".repeat(101), reseller: String(acme.id) }, "name", /at most 100/],
      [{ name: "Tab\there", reseller: String(acme.id) }, "name", /control characters/],
      [{ name: "New", reseller: "" }, "reseller", /Choose a reseller/],
      [{ name: "New", reseller: "abc" }, "reseller", /whole number/],
      [{ name: "New", reseller: "99999" }, "reseller", /does not exist/],
    ];
    for (const [fields, field, message] of cases) {
      for (const headers of [{}, htmx]) {
        const f = form(fields);
        const res = await admin.inject({ method: "POST", url: "/operators/new", payload: f.payload, headers: { ...f.headers, ...headers } });
        t.equal(res.statusCode, 422, JSON.stringify(fields).slice(0, 60));
        t.match(text(html(res.body).querySelector(`#${field}-error`)), message);
      }
    }
    t.equal(await db.operator.count(), before);

    const tricky = `<script>alert("x")</script>' OR '1'='1`;
    const res = await admin.inject({ method: "POST", url: "/operators/new", ...form({ name: tricky, reseller: String(globex.id) }) });
    t.equal(res.statusCode, 303);
    const list = await admin.inject({ url: "/operators" });
    t.notMatch(list.body, /<script>alert/);
    t.ok(tableRows(html(list.body)).some((r) => r[1] === tricky), "stored as typed, shown escaped");
  });

  t.test("delete: confirm, then delete; refused while it owns DIDs", async (t) => {
    const spare = await makeOperator(db, { name: "Spare", resellerId: acme.id });
    const confirm = await admin.inject({ url: `/operators/${spare.id}/delete` });
    t.equal(confirm.statusCode, 200);
    t.match(text(html(confirm.body).querySelector(".panel")), /Delete operator Spare of reseller Acme\?/);
    const dialog = await admin.inject({ url: `/operators/${spare.id}/delete`, headers: htmx });
    t.ok(html(dialog.body).querySelector(".modal form[hx-post]"));
    const done = await admin.inject({ method: "POST", url: `/operators/${spare.id}/delete`, headers: htmx });
    t.equal(done.statusCode, 204);
    t.equal(done.headers["hx-redirect"], "/operators");
    t.equal(await db.operator.count({ where: { id: spare.id } }), 0);

    const refused = await admin.inject({ url: `/operators/${kyiv.id}/delete` });
    const box = html(refused.body).querySelector(".error-box");
    t.match(text(box), /still owns 3 DIDs, so it cannot be deleted/);
    t.ok(box?.querySelector(`a[href="/dids?operator=${kyiv.id}"]`), "links to its DIDs");
    const post = await admin.inject({ method: "POST", url: `/operators/${kyiv.id}/delete` });
    t.equal(post.statusCode, 409);
    t.match(text(html(post.body).querySelector(".error-box")), /still owns 3 DIDs/);
    t.equal(await db.operator.count({ where: { id: kyiv.id } }), 1);

    t.equal((await admin.inject({ url: "/operators/abc/delete" })).statusCode, 400);
    t.equal((await admin.inject({ url: "/operators/999999/delete" })).statusCode, 404);
    t.equal((await admin.inject({ method: "POST", url: "/operators/999999/delete" })).statusCode, 404);
    t.equal((await admin.inject({ method: "POST", url: "/operators/1x/delete" })).statusCode, 400);
  });
});

t.test("resellers", async (t) => {
  const { db, admin } = await buildTestApp(t);
  t.match(text(html((await admin.inject({ url: "/resellers" })).body).querySelector(".empty")), /No resellers yet/);
  const ok = await admin.inject({ method: "POST", url: "/resellers", ...form({ name: "Acme" }) });
  t.equal(ok.statusCode, 303);
  const dup = await admin.inject({ method: "POST", url: "/resellers", ...form({ name: "ACME" }) });
  t.equal(dup.statusCode, 422);
  t.match(text(html(dup.body).querySelector("#name-error")), /exists already/);
  const empty = await admin.inject({ method: "POST", url: "/resellers", ...form({ name: " " }) });
  t.equal(empty.statusCode, 422);
  t.match(text(html(empty.body).querySelector("#name-error")), /required/);
  t.equal(await db.reseller.count(), 1);
  const op = await makeOperator(db, { resellerId: (await db.reseller.findFirstOrThrow()).id });
  const rows = tableRows(html((await admin.inject({ url: "/resellers" })).body));
  t.same(rows, [[String(op.resellerId), "Acme", "1", "0"]]);
});
