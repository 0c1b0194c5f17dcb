// GET and POST /dids/new: the page, the htmx dialog, ranges, conflicts, and bad input.
import t from "tap";
import { buildTestApp, form, html, htmx, tableRows, text } from "../helpers/app.js";
import { makeDids, makeOperator } from "../helpers/factories.js";

t.test("creating DIDs", async (t) => {
  const { db, admin } = await buildTestApp(t, { maxCreateDids: 1000 });
  const op = await makeOperator(db, { name: "Kyivstar" });
  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const f = form({ operator: String(op.id), status: "in_stock", after_hold: "in_stock", ...fields });
    return admin.inject({ method: "POST", url: "/dids/new", payload: f.payload, headers: { ...f.headers, ...headers } });
  };

  t.test("the page and the dialog fragment", async (t) => {
    const page = await admin.inject({ url: "/dids/new" });
    t.equal(page.statusCode, 200);
    const doc = html(page.body);
    t.ok(doc.querySelector("html"));
    t.same(doc.querySelectorAll("#c-status option").map((o) => o.getAttribute("value")), ["in_stock", "reserved", "archive"], "the manual's three statuses");
    t.same(doc.querySelectorAll("#c-after-hold option").map((o) => o.getAttribute("value")), ["in_stock", "reserved", "archive"]);
    t.notOk(doc.querySelector("form")?.getAttribute("hx-post"), "without the dialog the form is a plain POST");
    const dialog = await admin.inject({ url: "/dids/new", headers: htmx });
    t.notMatch(dialog.body, /<html/);
    const d = html(dialog.body);
    t.ok(d.querySelector(".modal[role=dialog]"));
    t.equal(d.querySelector("form")?.getAttribute("hx-post"), "/dids/new");
  });

  t.test("a range: created, then the inventory shows exactly the new ones", async (t) => {
    const res = await post({ numbers: "+380449990000-380449990099", tag: "promo", notes: "first batch" });
    t.equal(res.statusCode, 303);
    const location = res.headers.location as string;
    t.match(location, /^\/dids\?batch=\d+$/);
    const cookie = String(res.headers["set-cookie"]).split(";")[0]!;
    const page = await admin.inject({ url: location, headers: { cookie } });
    const doc = html(page.body);
    t.equal(text(doc.querySelector(".flash")), "Created 100 DIDs.");
    t.match(text(doc.querySelector(".summary")), /^100 DIDs match/);
    t.match(text(doc.querySelector(".notice")), /Showing the DIDs created together at .* \(100 were created\)/);
    const rows = tableRows(html((await admin.inject({ url: `${location}&per=500` })).body));
    t.equal(rows.length, 100);
    t.equal(rows[0]![3], "380449990000");
    t.equal(rows[99]![3], "380449990099");
    t.same(new Set(rows.map((r) => `${r[1]}|${r[2]}|${r[4]}|${r[5]}`)), new Set(["In stock|Kyivstar|promo|first batch"]));
    const again = await admin.inject({ url: location, headers: { cookie: "" } });
    t.notOk(html(again.body).querySelector(".flash"), "the message shows once");
  });

  t.test("with htmx, success redirects the whole page", async (t) => {
    const res = await post({ numbers: "4930100-4930104", status: "reserved", after_hold: "archive" }, htmx);
    t.equal(res.statusCode, 204);
    t.match(res.headers["hx-redirect"], /^\/dids\?batch=\d+$/);
    const created = await db.did.findMany({ where: { number: { startsWith: "49301" } } });
    t.equal(created.length, 5);
    t.same(new Set(created.map((d) => `${d.status}/${d.afterHoldStatus}`)), new Set(["reserved/archive"]));
  });

  t.test("existing and repeated numbers are listed; nothing is created until skip is ticked", async (t) => {
    await makeDids(db, op.id, ["555000", "555002"]);
    const before = await db.did.count();
    const res = await post({ numbers: "555000-555004\n555003" });
    t.equal(res.statusCode, 422);
    const doc = html(res.body);
    t.match(text(doc.querySelector("#numbers-error")), /already exist or repeat/);
    const lists = doc.querySelectorAll(".conflicts").map((c) => text(c));
    t.same(lists, ["555000 555002", "555003"]);
    t.equal(doc.querySelector("#c-numbers")!.textContent, "555000-555004\n555003", "the input is kept");
    t.equal(await db.did.count(), before, "nothing created");

    const skipped = await post({ numbers: "555000-555004\n555003", skip_existing: "1" });
    t.equal(skipped.statusCode, 303);
    t.equal(await db.did.count(), before + 3);
    t.same((await db.did.findMany({ where: { number: { startsWith: "55500" } }, orderBy: { number: "asc" } })).map((d) => d.number), ["555000", "555001", "555002", "555003", "555004"]);
  });

  t.test("the conflict list shows the first 50 and the count", async (t) => {
    await makeDids(db, op.id, Array.from({ length: 60 }, (_, i) => `777${String(i).padStart(4, "0")}`));
    const res = await post({ numbers: "7770000-7770099" });
    t.equal(res.statusCode, 422);
    const doc = html(res.body);
    t.match(text(doc), /60 numbers exist already \(the first 50 shown\)/);
    t.equal(text(doc.querySelector(".conflicts")).split(" ").length, 50);
  });

  t.test("all numbers exist and skip is ticked: nothing to create", async (t) => {
    const res = await post({ numbers: "555000", skip_existing: "1" });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#numbers-error")), /nothing to create/);
  });

  t.test("in the dialog, errors come back as the dialog fragment", async (t) => {
    const res = await post({ numbers: "555-111" }, htmx);
    t.equal(res.statusCode, 422);
    t.notMatch(res.body, /<html/);
    t.ok(html(res.body).querySelector(".modal #numbers-error"));
  });

  t.test("bad input: 422, message at the field, nothing written", async (t) => {
    const before = await db.did.count();
    const batches = await db.operation.count();
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ numbers: "555-111" }, "numbers", /lower end first/],
      [{ numbers: "123-12345" }, "numbers", /same number of digits/],
      [{ numbers: "380441234567 380441234568" }, "numbers", /several numbers separated by spaces/],
      [{ numbers: "+44 (0)20 7183 0000" }, "numbers", /a \(0\) is dialled only from inside the country/],
      [{ numbers: "1-" }, "numbers", /not a valid range/],
      [{ numbers: "-5" }, "numbers", /not a valid range/],
      [{ numbers: "1--2" }, "numbers", /more than one dash/],
      [{ numbers: "abc" }, "numbers", /not a phone number/],
      [{ numbers: "380440000000-380449999999" }, "numbers", /10,000,000 numbers; at most 1,000/],
      [{ numbers: "" }, "numbers", /Enter at least one/],
      [{ numbers: "12" }, "numbers", /3 to 20 digits/],
      [{ numbers: "1".repeat(21) }, "numbers", /3 to 20 digits/],
      [{ numbers: "<script>alert(1)</script>" }, "numbers", /not a phone number/],
      [{ numbers: "123", operator: "999999" }, "operator", /does not exist/],
      [{ numbers: "123", operator: "abc" }, "operator", /whole number/],
      [{ numbers: "123", operator: "" }, "operator", /Choose an operator/],
      [{ numbers: "123", status: "active" }, "status", /not a valid status/],
      [{ numbers: "123", status: "bogus" }, "status", /not a valid status/],
      [{ numbers: "123", after_hold: "hold" }, "after_hold", /not a valid after-hold status/],
      [{ numbers: "123", tag: "x".repeat(65) }, "tag", /at most 64/],
      [{ numbers: "123", notes: "x".repeat(1001) }, "notes", /at most 1,000/],
      [{ numbers: "123", notes: "bad\u0000byte" }, "notes", /control characters/],
    ];
    for (const [fields, field, message] of cases) {
      const res = await post(fields);
      t.equal(res.statusCode, 422, JSON.stringify(fields).slice(0, 80));
      const doc = html(res.body);
      t.match(text(doc.querySelector(`#${field}-error`)), message, `${JSON.stringify(fields).slice(0, 60)} → ${field}`);
      t.equal(doc.querySelector(`[aria-describedby="${field}-error"]`)?.getAttribute("aria-invalid"), "true");
    }
    t.notMatch((await post({ numbers: "<script>alert(1)</script>" })).body, /<script>alert/, "echoed input is escaped");
    t.equal(await db.did.count(), before);
    t.equal(await db.operation.count(), batches);
  });

  t.test("numbers as they are printed: spaces, dots and brackets are formatting", async (t) => {
    const res = await post({ numbers: "+380 441 234 567\n(020) 7183 0000, +1.555.010.0000" });
    t.equal(res.statusCode, 303);
    const batch = Number(/batch=(\d+)/.exec(String(res.headers.location))![1]);
    t.same((await db.did.findMany({ where: { batchId: batch }, orderBy: { number: "asc" } })).map((d) => d.number), ["02071830000", "15550100000", "380441234567"]);
    t.equal(await db.did.count({ where: { number: { in: ["380", "441", "234", "567"] } } }), 0, "no junk DIDs from the groups");
  });

  t.test("a control character is shown as ?, never echoed raw", async (t) => {
    const res = await post({ numbers: "1234\u0000\n55\u000b5" });
    t.equal(res.statusCode, 422);
    t.notMatch(res.body, /[\u0000\u000b]/, "no raw control characters in the page");
    const message = text(html(res.body).querySelector("#numbers-error"));
    t.match(message, /“1234\?” contains a control character \(shown as \?\)/);
    t.match(message, /“55\?5” contains a control character/);
    t.equal(html(res.body).querySelector("#c-numbers")!.textContent, "1234?\n55?5", "the input is kept, the characters marked");
  });

  t.test("a field given twice says so", async (t) => {
    const f = form({ numbers: ["5000", "5001"], operator: String(op.id) });
    const res = await admin.inject({ method: "POST", url: "/dids/new", ...f });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#numbers-error")), /Give this field once/);
  });

  t.test("a megabyte-long range end is refused at once", async (t) => {
    const started = Date.now();
    const res = await post({ numbers: `${"1".repeat(1_000_000)}-${"2".repeat(1_000_000)}` });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#numbers-error")), /3 to 20 digits/);
    t.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
  });

  t.test("a deleted operator", async (t) => {
    const gone = await makeOperator(db);
    await db.operator.delete({ where: { id: gone.id } });
    const res = await post({ numbers: "8880001", operator: String(gone.id) });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#operator-error")), /does not exist/);
  });

  t.test("200,000 pasted lines get a clear message, not a 413", async (t) => {
    const lines = Array.from({ length: 200_000 }, (_, i) => String(380440000000 + i)).join("\n");
    const res = await post({ numbers: lines });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#numbers-error")), /holds at least 200,000 numbers/);
    t.match(res.body, "380440199999", "the input is kept for the user to cut down");
  });

  t.test("HTML and SQL-looking tag and notes are stored as typed and shown escaped", async (t) => {
    const tag = `<img src=x onerror=alert(1)>`;
    const notes = `'); DROP TABLE did; -- " onmouseover="alert(1)`;
    const res = await post({ numbers: "6660001", tag, notes });
    t.equal(res.statusCode, 303);
    const did = await db.did.findUnique({ where: { number: "6660001" } });
    t.equal(did?.tag, tag);
    t.equal(did?.notes, notes);
    const page = await admin.inject({ url: "/dids?contains=6660001" });
    t.notMatch(page.body, /<img src=x/);
    t.notMatch(page.body, /" onmouseover="/);
    t.same(tableRows(html(page.body))[0]!.slice(4, 6), [tag, notes]);
  });
});

t.test("the default limit is 100,000 numbers per submission", async (t) => {
  const { db, admin } = await buildTestApp(t);
  const op = await makeOperator(db);
  const f = form({ numbers: "100000-200000", operator: String(op.id) });
  const res = await admin.inject({ method: "POST", url: "/dids/new", ...f });
  t.equal(res.statusCode, 422);
  t.match(text(html(res.body).querySelector("#numbers-error")), /100,001 numbers; at most 100,000/);
});
