// Imports through HTTP, step by step as a person does them (upload, map, check, commit),
// in page and fragment mode; the dry run's report and its rejected rows; scope; and the
// bad files and hand-made posts the issue lists.
import { Readable } from "node:stream";
import t from "tap";
import { parse as parseCsv } from "csv-parse/sync";
import { buildTestApp, form, html, tableRows, text, htmx, type Browser } from "../helpers/app.js";
import { auditEventsAfter, lastAuditEventId } from "../helpers/audit.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { multipart } from "../helpers/multipart.js";
import { purgeStaleImports } from "../../src/modules/imports/imports.service.js";

const bom = "\uFEFF";

t.test("imports", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const other = await makeReseller(db, "Other");
  const kyivstar = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const foreign = await makeOperator(db, { name: "Foreign Telecom", resellerId: other.id });
  await makeDids(db, kyivstar.id, ["380441000003"]);
  await makeDids(db, foreign.id, ["380449999999"]);

  const upload = (who: Browser, file: { name: string; content: Buffer | string }, fields: Record<string, string> = {}, headers: Record<string, string> = {}) => {
    const body = multipart({ _csrf: who.csrfToken, header: "1", status: "in_stock", after_hold: "in_stock", ...fields }, file);
    return who.inject({ method: "POST", url: "/imports", payload: body.payload, headers: { ...body.headers, ...headers } });
  };
  const post = (who: Browser, url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
    who.inject({ method: "POST", url, ...form(fields), headers: { ...form(fields).headers, ...headers } });
  const importIdOf = (location: unknown) => Number(/^\/imports\/(\d+)$/.exec(String(location))![1]);
  /** The mapping the page proposes, as the form would post it. */
  const proposedMapping = (body: string) => Object.fromEntries(html(body).querySelectorAll("select[name^='col_']").map((s) => [s.getAttribute("name")!, s.querySelector("option[selected]")?.getAttribute("value") ?? "ignore"]));

  const csv =
    bom +
    [
      "DID;Operator;Status;Tag;Notes",
      "380441000001;Kyivstar;In stock;batch-7;first",
      "380441000002-380441000004;kyivstar;reserved;;",
      "380441000001;Kyivstar;;;again",
      "=cmd|' /C calc'!A0;Kyivstar;;;",
      "380441000009;Nobody;;;",
      "380441000010;Kyivstar;Active;;",
      "380449999999;Kyivstar;;;",
      "380441000011;Kyivstar;archived;=HYPERLINK(\"http://x\");note;extra",
    ].join("\r\n") +
    "\r\n";

  t.test("upload, map, check and commit a semicolon CSV with a BOM", async (t) => {
    const res = await upload(admin, { name: "numbers.csv", content: csv });
    t.equal(res.statusCode, 303, res.body);
    const id = importIdOf(res.headers.location);

    const mapping = await admin.inject({ url: `/imports/${id}` });
    t.equal(mapping.statusCode, 200);
    const page = html(mapping.body);
    t.equal(page.querySelector("#m-delimiter option[selected]")?.getAttribute("value"), "semicolon", "the delimiter is detected and shown");
    t.match(text(page.querySelector("#m-delimiter option[selected]")), /detected/);
    t.same(proposedMapping(mapping.body), { col_0: "did", col_1: "operator", col_2: "status", col_3: "tag", col_4: "notes", col_5: "ignore" }, "headers are matched");
    t.equal(page.querySelectorAll("table.preview tbody tr").length, 8, "the preview shows the data rows");
    t.equal(text(page.querySelector("table.preview thead th:nth-child(2) label")), "DID", "the header names the columns");

    const checked = await post(admin, `/imports/${id}/mapping`, { ...proposedMapping(mapping.body), header: "1", delimiter: "semicolon", action: "check", _csrf: admin.csrfToken });
    t.equal(checked.statusCode, 303, checked.body);
    t.equal(await db.did.count({ where: { number: { startsWith: "38044100" } } }), 1, "a check writes nothing to the inventory");

    const report = html((await admin.inject({ url: `/imports/${id}` })).body);
    t.match(text(report.querySelector(".preview-summary")), /read 8 rows \(10 numbers\)\. 4 DIDs can be imported; 6 will not be\. Nothing has been written yet/);
    const reasons = Object.fromEntries(report.querySelectorAll("table.report tbody tr").map((tr) => [tr.getAttribute("data-reason"), tr.querySelectorAll("td").map((td) => text(td))]));
    t.same(reasons.invalid_number, ["Invalid number", "1", "5"]);
    t.same(reasons.duplicate_in_file, ["Duplicate within the file", "1", "4"]);
    t.same(reasons.unknown_operator, ["Unknown operator", "1", "6"]);
    t.same(reasons.status_not_allowed, ["Status not allowed", "1", "7"]);
    t.same(reasons.exists, ["Already in the inventory", "2", "3, 8"], "a number in a range counts; an admin's scope holds every number");
    t.same(reasons.out_of_scope, undefined);

    const rejected = await admin.inject({ url: `/imports/${id}/rejected.csv` });
    t.equal(rejected.statusCode, 200);
    t.match(rejected.headers["content-disposition"], /attachment; filename="rejected-rows-import-\d+\.csv"/);
    const rows = parseCsv(rejected.body, { bom: true }) as string[][];
    t.same(rows[0], ["Row", "DID", "Operator", "Status", "After hold", "Hold days", "Tag", "Notes", "Reason", "Detail"]);
    t.same(rows.slice(1).map((r) => [r[0], r[8]]), [
      ["3", "Already in the inventory"],
      ["4", "Duplicate within the file"],
      ["5", "Invalid number"],
      ["6", "Unknown operator"],
      ["7", "Status not allowed"],
      ["8", "Already in the inventory"],
    ]);
    t.equal(rows.find((r) => r[0] === "5")![1], "'=cmd|' /C calc'!A0", "a formula in a rejected cell is made inert");

    const before = await lastAuditEventId(db);
    const committed = await post(admin, `/imports/${id}/commit`, { _csrf: admin.csrfToken });
    t.equal(committed.statusCode, 303);
    const run = await db.importRun.findUniqueOrThrow({ where: { id } });
    t.equal(run.state, "done");
    t.equal(committed.headers.location, `/dids?batch=${run.operationId}`, "lands on the inventory filtered to this import");
    const landed = await admin.inject({ url: String(committed.headers.location) });
    const shown = tableRows(html(landed.body)).flat().join(" ");
    t.ok(["380441000001", "380441000002", "380441000004", "380441000011"].every((n) => shown.includes(n)), "the imported DIDs are shown");
    t.notMatch(shown, /380441000003/, "and only they");
    t.match(text(html(landed.body).querySelector(".notice")), /imported together/);

    const dids = await db.did.findMany({ where: { batchId: run.operationId }, orderBy: { number: "asc" }, include: { operator: true } });
    t.same(
      dids.map((d) => [d.number, d.status, d.operator.name, d.tag, d.notes]),
      [
        ["380441000001", "in_stock", "Kyivstar", "batch-7", "first"],
        ["380441000002", "reserved", "Kyivstar", null, null],
        ["380441000004", "reserved", "Kyivstar", null, null],
        ["380441000011", "archive", "Kyivstar", '=HYPERLINK("http://x")', "note"],
      ],
    );
    const events = await auditEventsAfter(db, before);
    t.equal(new Set(events.map((e) => e.requestId)).size, 1, "one request id for the whole import");
    t.same(events.filter((e) => e.action === "create").map((e) => e.label), ["380441000001", "380441000002", "380441000004", "380441000011"]);
    const importEvent = events.find((e) => e.action === "import")!;
    t.same([importEvent.objectType, importEvent.objectId, importEvent.label], ["import", id, "numbers.csv"]);
    t.same(importEvent.changes, { file: [null, "numbers.csv"], rows: [null, 8], created: [null, 4], rejected: [null, 6], skipped: [null, 0] });
    t.equal(await db.importFileChunk.count({ where: { importId: id } }), 0, "the stored file goes once imported");
    t.equal(await db.importRow.count({ where: { importId: id, reason: { not: null } } }), 6, "the rejected rows stay for their download");
    t.equal(await db.job.count({ where: { kind: "import-cleanup", state: "queued" } }), 1, "the accepted rows are cleared by a job after the commit");

    const list = html((await admin.inject({ url: "/imports" })).body);
    const first = list.querySelector("table.list tbody tr")!.querySelectorAll("td").map((td) => text(td));
    t.same([first[0], first[1], first[3], first[4], first[5], first[6]], ["numbers.csv", "admin", "8", "4", "6", "Imported"]);
    t.equal((await post(admin, `/imports/${id}/commit`, { _csrf: admin.csrfToken })).statusCode, 303, "a second commit changes nothing");
    t.equal(await db.did.count({ where: { batchId: run.operationId } }), 4);
  });

  t.test("every step in fragment mode swaps in place", async (t) => {
    const res = await upload(admin, { name: "frag.csv", content: "Number,Provider\n380442000001,Kyivstar\n380442000002,Kyivstar\n" }, {}, htmx);
    t.equal(res.statusCode, 200);
    t.notMatch(res.body, /<html/, "a fragment, not a page");
    const id = importIdOf(res.headers["hx-push-url"]);
    t.same(proposedMapping(res.body), { col_0: "did", col_1: "operator" });
    t.equal(html(res.body).querySelector("#m-delimiter option[selected]")?.getAttribute("value"), "comma");

    const report = await post(admin, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check" }, htmx);
    t.equal(report.statusCode, 200);
    t.notMatch(report.body, /<html/);
    t.match(text(html(report.body).querySelector(".preview-summary")), /2 DIDs can be imported/);

    const done = await post(admin, `/imports/${id}/commit`, {}, htmx);
    t.equal(done.statusCode, 204);
    t.match(String(done.headers["hx-redirect"]), /^\/dids\?batch=\d+$/);
  });

  t.test("reading again: another delimiter, no header", async (t) => {
    const id = importIdOf((await upload(admin, { name: "semi.txt", content: "380443000001;x\n380443000002;y\n" }, { header: "" })).headers.location);
    let page = await admin.inject({ url: `/imports/${id}` });
    t.same(proposedMapping(page.body), { col_0: "did", col_1: "ignore" }, "without a header the first column is taken for the DIDs");
    page = await post(admin, `/imports/${id}/mapping`, { delimiter: "comma", action: "preview", _csrf: admin.csrfToken });
    t.equal(page.statusCode, 200);
    t.equal(html(page.body).querySelectorAll("select[name^='col_']").length, 1, "read with commas, the file has one column");
  });

  t.test("a reseller's user: own operators only, own imports only, operators created on request", async (t) => {
    const seller = await signInAs({ role: "reseller", resellerId: acme.id });
    const stranger = await signInAs({ role: "reseller", resellerId: other.id });
    const content = "DID,Operator\n380444000001,Kyivstar\n380444000002,Foreign Telecom\n380449999999,Kyivstar\n380444000003,New Carrier\n";
    const id = importIdOf((await upload(seller, { name: "seller.csv", content })).headers.location);
    t.equal((await stranger.inject({ url: `/imports/${id}` })).statusCode, 404, "another reseller's user cannot see it");
    t.equal((await post(stranger, `/imports/${id}/commit`, { _csrf: stranger.csrfToken })).statusCode, 404);
    t.equal((await stranger.inject({ url: `/imports/${id}/rejected.csv` })).statusCode, 404);
    t.equal((await stranger.inject({ url: `/imports/${id}/progress`, headers: htmx })).statusCode, 404, "nor poll its progress");
    t.notMatch((await stranger.inject({ url: "/imports" })).body, /seller\.csv/, "nor list it");

    await post(seller, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check", _csrf: seller.csrfToken });
    let report = html((await seller.inject({ url: `/imports/${id}` })).body);
    const reasons = () => Object.fromEntries(report.querySelectorAll("table.report tbody tr").map((tr) => [tr.getAttribute("data-reason"), text(tr.querySelector("td:nth-child(3)"))]));
    t.same(reasons(), { unknown_operator: "3, 5", out_of_scope: "4" }, "another reseller's operator is unknown here; its number is not available");

    t.equal((await post(seller, `/imports/${id}/restart`, { _csrf: seller.csrfToken })).statusCode, 303, "back to the mapping");
    const refused = await post(seller, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check", create_operators_under: String(other.id), _csrf: seller.csrfToken });
    t.equal(refused.statusCode, 422);
    t.match(text(html(refused.body).querySelector("#create_operators_under-error")), /only under your own reseller/);

    await post(seller, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check", _csrf: seller.csrfToken });
    // The report offers to create the unknown operators: its form carries the mapping.
    const offer = html((await seller.inject({ url: `/imports/${id}` })).body).querySelector(`form[action="/imports/${id}/mapping"]`)!;
    t.same(offer.querySelectorAll("#r-create-operators option").map((o) => text(o)), ["Acme"], "under the user's own reseller only");
    const fields = Object.fromEntries(offer.querySelectorAll("input, select").map((i) => [i.getAttribute("name")!, i.getAttribute("value") ?? i.querySelector("option")?.getAttribute("value") ?? ""]));
    t.equal((await post(seller, `/imports/${id}/mapping`, fields)).statusCode, 303);
    report = html((await seller.inject({ url: `/imports/${id}` })).body);
    t.match(text(report), /2 operators will be created: Foreign Telecom, New Carrier/);
    await post(seller, `/imports/${id}/commit`, { _csrf: seller.csrfToken });
    const created = await db.operator.findMany({ where: { resellerId: acme.id, name: { in: ["Foreign Telecom", "New Carrier"] } } });
    t.equal(created.length, 2, "created under the user's own reseller");
    t.equal(await db.did.count({ where: { number: { in: ["380444000001", "380444000002", "380444000003"] }, operator: { resellerId: acme.id } } }), 3);
  });

  t.test("cells: short and long rows, hold days, after hold, bad values", async (t) => {
    const content = ["DID,Operator,After hold,Hold days,Tag", "380445000001,Kyivstar,Reserved,30,t", "380445000002", "380445000003,Kyivstar,sideways,,", "380445000004,Kyivstar,,-1,", "380445000005,Kyivstar,,,ok,surprise"].join("\n");
    const id = importIdOf((await upload(admin, { name: "cells.csv", content }, { operator: String(kyivstar.id), hold_days: "7" })).headers.location);
    await post(admin, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", col_2: "after_hold", col_3: "hold_days", col_4: "tag", header: "1", delimiter: "comma", action: "check", _csrf: admin.csrfToken });
    const report = html((await admin.inject({ url: `/imports/${id}` })).body);
    t.same(text(report.querySelector("tr[data-reason='invalid_value'] td:nth-child(3)")), "4, 5");
    t.match(text(report.querySelector("details.warnings")), /Row 6, column 6: The row has 6 cells, the header 5/);
    await post(admin, `/imports/${id}/commit`, { _csrf: admin.csrfToken });
    const dids = await db.did.findMany({ where: { number: { in: ["380445000001", "380445000002", "380445000005"] } }, orderBy: { number: "asc" } });
    t.same(dids.map((d) => [d.number, d.afterHoldStatus, d.holdDays, d.operatorId, d.tag]), [
      ["380445000001", "reserved", 30, kyivstar.id, "t"],
      ["380445000002", "in_stock", 7, kyivstar.id, null],
      ["380445000005", "in_stock", 7, kyivstar.id, "ok"],
    ], "a short row takes the defaults");
  });

  t.test("bad files get a clear message at the file field, and nothing is stored", async (t) => {
    const cases: [string, Buffer | string, RegExp][] = [
      ["empty.csv", "", /empty/i],
      ["binary.csv", Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00, 0x89, 0x50, 0x4e, 0x47, 0x00]), /not a text|binary/i],
      ["fake.xlsx", "DID\n380441234567\n", /not an Excel workbook|not a zip/i],
      ["utf16.csv", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("DID\r\n380441234567\r\n", "utf16le")]), /UTF-16/],
    ];
    for (const [name, content, message] of cases) {
      const before = await db.importRun.count();
      const res = await upload(admin, { name, content });
      t.equal(res.statusCode, 422, name);
      t.match(text(html(res.body).querySelector("#file-error")), message, name);
      t.equal(await db.importRun.count(), before, `${name}: nothing stored`);
    }
    const none = await admin.inject({ method: "POST", url: "/imports", ...multipart({ _csrf: admin.csrfToken, status: "in_stock" }) });
    t.equal(none.statusCode, 422);
    t.match(text(html(none.body).querySelector("#file-error")), /Choose a file/);
    const badDefault = await upload(admin, { name: "x.csv", content: "DID\n380441234567\n" }, { status: "active", operator: "abc" });
    t.equal(badDefault.statusCode, 422);
    t.match(text(html(badDefault.body).querySelector("#status-error")), /not a valid status/);
    t.match(text(html(badDefault.body).querySelector("#operator-error")), /whole number/);
  });

  t.test("a file with only a header", async (t) => {
    const id = importIdOf((await upload(admin, { name: "header-only.csv", content: "DID,Operator\n" })).headers.location);
    await post(admin, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check", _csrf: admin.csrfToken });
    const page = html((await admin.inject({ url: `/imports/${id}` })).body);
    t.match(text(page.querySelector(".error-box")), /header but no rows/);
    t.ok(page.querySelector(`form[action="/imports/${id}/restart"]`), "and a way to start again");
  });

  t.test("hand-made mapping posts are refused with a message at the mapping", async (t) => {
    const id = importIdOf((await upload(admin, { name: "map.csv", content: "DID,Tag\n380446000001,a\n" })).headers.location);
    const cases: [Record<string, string>, RegExp][] = [
      [{ col_0: "did", col_1: "tag", col_9: "notes" }, /column \(col_9\) the file does not have/],
      [{ col_0: "did", col_1: "password" }, /not a valid meaning for column 2/],
      [{ col_0: "did", col_1: "did" }, /2 columns are marked “DID”/],
      [{ col_0: "tag", col_1: "ignore" }, /Choose the column that holds the DIDs/],
      [{ col_0: "did", col_1: "tag", col_x: "did" }, /does not have/],
    ];
    for (const [mapping, message] of cases) {
      const res = await post(admin, `/imports/${id}/mapping`, { ...mapping, header: "1", delimiter: "comma", action: "check", _csrf: admin.csrfToken });
      t.equal(res.statusCode, 422, JSON.stringify(mapping));
      t.match(text(html(res.body).querySelector("#mapping-error")) || text(html(res.body).querySelector(".field-error")), message, JSON.stringify(mapping));
    }
    const badDelimiter = await post(admin, `/imports/${id}/mapping`, { col_0: "did", header: "1", delimiter: "pipe", action: "check", _csrf: admin.csrfToken });
    t.equal(badDelimiter.statusCode, 422);
    t.equal((await db.importRun.findUniqueOrThrow({ where: { id } })).state, "uploaded", "nothing moved on");
  });

  t.test("stale, foreign and malformed import ids", async (t) => {
    t.equal((await admin.inject({ url: "/imports/999999" })).statusCode, 404);
    t.equal((await admin.inject({ url: "/imports/abc" })).statusCode, 400);
    t.equal((await admin.inject({ url: "/imports/99999999999999" })).statusCode, 400);
    t.equal((await post(admin, "/imports/999999/commit", { _csrf: admin.csrfToken })).statusCode, 404);
    t.equal((await post(admin, "/imports/999999/mapping", { col_0: "did", _csrf: admin.csrfToken })).statusCode, 404);
    t.equal((await admin.inject({ url: "/imports/999999/progress" })).statusCode, 404);
    t.equal((await admin.inject({ url: "/imports/999999/progress", headers: htmx })).statusCode, 404);
    t.equal((await admin.inject({ url: "/imports/abc/progress", headers: htmx })).statusCode, 400);
    t.equal((await admin.inject({ url: "/imports?before=x" })).statusCode, 400);
    const id = importIdOf((await upload(admin, { name: "c.csv", content: "DID\n380447000001\n" })).headers.location);
    await post(admin, `/imports/${id}/cancel`, { _csrf: admin.csrfToken });
    const cancelled = await post(admin, `/imports/${id}/commit`, { _csrf: admin.csrfToken });
    t.equal(cancelled.statusCode, 303, "a cancelled import cannot be committed: its page says so");
    t.match(text(html((await admin.inject({ url: `/imports/${id}` })).body)), /cancelled; nothing was imported/);
    t.equal(await db.did.count({ where: { number: "380447000001" } }), 0);
  });

  t.test("numbers someone creates between the check and the commit are skipped and counted", async (t) => {
    const id = importIdOf((await upload(admin, { name: "race.csv", content: "DID,Operator\n380449100001,Kyivstar\n380449100002,Kyivstar\n" })).headers.location);
    await post(admin, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check", _csrf: admin.csrfToken });
    await makeDids(db, kyivstar.id, ["380449100002"]);
    t.equal((await post(admin, `/imports/${id}/commit`, { _csrf: admin.csrfToken })).statusCode, 303);
    const page = html((await admin.inject({ url: `/imports/${id}` })).body);
    t.match(text(page.querySelector(".notice")), /Imported 1 DID .*; 1 was created by someone else after the check and skipped/);
    const run = await db.importRun.findUniqueOrThrow({ where: { id }, include: { operation: true } });
    t.same([run.operation?.didCount, run.operation?.skippedCount], [1, 1]);
  });

  t.test("abandoned imports are cancelled after a week and lose their file", async (t) => {
    const id = importIdOf((await upload(admin, { name: "old.csv", content: "DID\n380449200001\n" })).headers.location);
    t.ok((await db.importFileChunk.count({ where: { importId: id } })) > 0);
    t.same(await purgeStaleImports(db), { cancelled: 0, cleared: 0 }, "a fresh import is left alone");
    const later = new Date(Date.now() + 8 * 24 * 3600 * 1000);
    const purged = await purgeStaleImports(db, later);
    t.ok(purged.cancelled >= 1);
    const run = await db.importRun.findUniqueOrThrow({ where: { id } });
    t.same([run.state, run.error], ["cancelled", "Cancelled: not finished within a week."]);
    t.equal(await db.importFileChunk.count({ where: { importId: id } }), 0, "its file is gone");
  });

  t.test("while a step runs, a second check, a cancel or a commit changes nothing", async (t) => {
    const id = importIdOf((await upload(admin, { name: "busy.csv", content: "DID\n380449300001\n" })).headers.location);
    await db.importRun.update({ where: { id }, data: { state: "checking" } });
    for (const [path, fields] of [
      ["mapping", { col_0: "did", header: "1", delimiter: "comma", action: "check" }],
      ["mapping", { col_0: "did", header: "", delimiter: "comma", action: "preview" }],
      ["cancel", {}],
      ["commit", {}],
      ["restart", {}],
    ] as const) {
      const res = await post(admin, `/imports/${id}/${path}`, { ...fields, _csrf: admin.csrfToken });
      t.equal(res.statusCode, 303, `${path} ${JSON.stringify(fields)}: back to the import's page`);
      t.equal((await db.importRun.findUniqueOrThrow({ where: { id } })).state, "checking", `${path}: the running step is left alone`);
    }
    t.match(text(html((await admin.inject({ url: `/imports/${id}` })).body).querySelector("#import-progress")), /Checking the file/);
  });

  t.test("operators created under a reseller that does not exist: a message, not a 500", async (t) => {
    const id = importIdOf((await upload(admin, { name: "nobody.csv", content: "DID,Operator\n380449400001,Brand New\n" })).headers.location);
    const res = await post(admin, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check", create_operators_under: "999999", _csrf: admin.csrfToken });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#create_operators_under-error")), /does not exist/);
  });

  t.test("a form sent with no file chosen says so", async (t) => {
    const body = multipart({ _csrf: admin.csrfToken, header: "1" }, { name: "", content: "" });
    const res = await admin.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector("#file-error")), /Choose a file/);
  });

  t.test("support may not import", async (t) => {
    const support = await signInAs({ role: "support" });
    t.equal((await support.inject({ url: "/imports/new" })).statusCode, 403);
    t.equal((await upload(support, { name: "s.csv", content: "DID\n380448000001\n" })).statusCode, 403);
  });
});

t.test("a file over the size limit gets a 413 page", async (t) => {
  const { admin } = await buildTestApp(t, { importMaxBytes: 4096 });
  const body = multipart({ _csrf: admin.csrfToken, header: "1" }, { name: "big.csv", content: "DID\n" + "380441234567\n".repeat(2000) });
  const res = await admin.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
  t.equal(res.statusCode, 413);
  t.match(text(html(res.body).querySelector("main")), /File too large.*at most 4\.0 KB/);
});

t.test("a 200 MB upload is cut off at the default 50 MB with a 413", async (t) => {
  const { admin } = await buildTestApp(t);
  const { payload, headers } = multipart({ _csrf: admin.csrfToken, header: "1" }, { name: "huge.csv", content: "" });
  // The empty file's bytes are replaced by 200 MB, produced as they are read.
  const split = payload.indexOf("\r\n\r\n", payload.indexOf('filename="huge.csv"')) + 4;
  const line = Buffer.from("380441234567;Kyivstar;in stock;tag;notes\n".repeat(1000));
  let sent = 0;
  const body = Readable.from(
    (function* () {
      yield payload.subarray(0, split);
      for (; sent < 200 * 1024 * 1024; sent += line.length) yield line;
      yield payload.subarray(split);
    })(),
  );
  const res = await admin.inject({ method: "POST", url: "/imports", payload: body, headers });
  t.equal(res.statusCode, 413);
  t.match(text(html(res.body).querySelector("main")), /at most 50\.0 MB/);
});
