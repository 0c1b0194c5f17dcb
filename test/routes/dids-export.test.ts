// Export: GET /dids/export (a search) and POST /dids/export (a selection of the bulk form),
// as CSV and XLSX, parsed back: every matching row in the page's order, the columns, the
// selection, scope, formula injection, bad input, and streaming (large results, clients
// that leave, connections given back).
import http from "node:http";
import zlib from "node:zlib";
import t from "tap";
import ExcelJS from "exceljs";
import { parse } from "csv-parse/sync";
import type { LightMyRequestResponse } from "fastify";
import { exportApplicationName } from "../../src/modules/exports/exports.routes.js";
import { buildTestApp, form, html, tableRows, text } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

const header = ["ID", "Status", "Operator", "DID", "Tag", "Notes", "Client", "Account", "Reseller", "After hold", "Hold days", "Package", "Created (UTC)"];
const col = (name: string) => header.indexOf(name);

/** The CSV's rows, header included. */
function csvRows(res: LightMyRequestResponse): string[][] {
  return parse(res.rawPayload, { bom: true }) as string[][];
}

async function xlsxRows(res: LightMyRequestResponse): Promise<{ sheet: ExcelJS.Worksheet; rows: ExcelJS.CellValue[][] }> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet("DIDs")!;
  const rows: ExcelJS.CellValue[][] = [];
  sheet.eachRow((row) => rows.push(header.map((_, i) => row.getCell(i + 1).value)));
  return { sheet, rows };
}

t.test("export", async (t) => {
  const { app, db, admin, signInAs, url } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const globex = await makeReseller(db, "Globex");
  const kyiv = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const lifecell = await makeOperator(db, { name: "Lifecell", resellerId: globex.id });
  const account = await makeClientAccount(db, acme.id, { client: "Hotel Dnipro", account: "front-desk" });
  const bulk = Array.from({ length: 60 }, (_, i) => `3804411${String(i).padStart(5, "0")}`);
  await makeDids(db, kyiv.id, bulk, { tag: "bulk" });
  const [active] = await makeDids(db, kyiv.id, ["380442220001"], { status: "active", clientAccountId: account.id, notes: "VIP line, \"front\"\nsecond line" });
  await db.did.update({ where: { id: active!.id }, data: { afterHoldStatus: "reserved", holdDays: 30 } });
  await makeDids(db, lifecell.id, ["15551234567", "0098123400"], { status: "reserved", tag: "globex" });
  const total = 63;

  const get = (path: string, headers: Record<string, string> = {}) => admin.inject({ url: path, headers });
  const post = (browser: typeof admin, fields: Record<string, string | string[]>) => browser.inject({ method: "POST", url: "/dids/export", ...form(fields) });
  const numbersOf = (rows: string[][]) => rows.slice(1).map((r) => r[col("DID")]);

  t.test("a search: every matching row, not only the page, in the search's sort", async (t) => {
    const res = await get("/dids/export?format=csv&tag=bulk&sort=number&dir=desc&per=25&page=2");
    t.equal(res.statusCode, 200);
    t.equal(res.headers["content-type"], "text/csv; charset=utf-8");
    t.match(res.headers["content-disposition"], /^attachment; filename="dids-\d{4}-\d{2}-\d{2}-\d{4}\.csv"$/);
    t.equal(res.headers["cache-control"], "no-store");
    t.same([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a byte order mark, for Excel");
    t.match(res.body, /^\uFEFFID,Status,[^\n]*\r\n/, "CRLF line ends");
    const rows = csvRows(res);
    t.same(rows[0], header, "the table's columns, then after hold, hold days, Package and the creation time");
    t.same(numbersOf(rows), [...bulk].reverse(), "all 60, not the 25 of page 2, by number descending");
  });

  t.test("no search: everything, by number; CSV unless another format is asked for", async (t) => {
    const res = await get("/dids/export");
    t.equal(res.statusCode, 200);
    t.match(res.headers["content-type"], /^text\/csv/);
    const rows = csvRows(res);
    t.equal(rows.length, 1 + total);
    t.same(numbersOf(rows).slice(0, 3), ["0098123400", "15551234567", "380441100000"], "numbers exactly as stored, leading zero kept");
  });

  t.test("each column's value, as the table shows it plus what an import needs", async (t) => {
    const rows = csvRows(await get("/dids/export?contains=380442220001"));
    t.equal(rows.length, 2);
    const row = Object.fromEntries(header.map((h, i) => [h, rows[1]![i]]));
    t.match(row, {
      ID: String(active!.id),
      Status: "Active",
      Operator: "Kyivstar",
      DID: "380442220001",
      Tag: "",
      Notes: "VIP line, \"front\"\nsecond line",
      Client: "Hotel Dnipro",
      Account: "front-desk",
      Reseller: "Acme",
      "After hold": "Reserved",
      "Hold days": "30",
      Package: "",
    });
    t.match(row["Created (UTC)"], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const created = (await db.did.findUniqueOrThrow({ where: { id: active!.id } })).createdAt;
    t.equal(row["Created (UTC)"], created.toISOString().slice(0, 19).replace("T", " "), "in UTC");
    t.match(csvRows(await get("/dids/export?tag=globex")).slice(1).map((r) => r[col("Status")]), ["Reserved", "Reserved"]);
  });

  t.test("in every sort the file's order is the page's", async (t) => {
    for (const sort of ["id", "status", "operator", "number", "tag", "notes", "client", "reseller"]) {
      for (const dir of ["asc", "desc"]) {
        const page = tableRows(html((await get(`/dids?sort=${sort}&dir=${dir}&per=100`)).body)).map((cells) => cells[3]);
        const file = numbersOf(csvRows(await get(`/dids/export?sort=${sort}&dir=${dir}`)));
        t.same(file, page, `${sort} ${dir}`);
      }
    }
  });

  t.test("the page's Export form carries the search and the format choice", async (t) => {
    const doc = html((await get(`/dids?tag=bulk&operator=${kyiv.id}&sort=tag&dir=desc&per=25&page=2`)).body);
    const exportForm = doc.querySelector("form.export")!;
    t.equal(exportForm.getAttribute("method"), "get");
    t.equal(exportForm.getAttribute("action"), "/dids/export");
    t.equal(exportForm.getAttribute("hx-boost"), "false", "a download, never an htmx swap");
    const fields = exportForm.querySelectorAll('input[type="hidden"]').map((i) => [i.getAttribute("name"), i.getAttribute("value")]);
    t.same(fields, [["operator", String(kyiv.id)], ["tag", "bulk"], ["sort", "tag"], ["dir", "desc"]], "the whole search and its sort, not the page");
    t.same(exportForm.querySelectorAll("select[name=format] option").map((o) => o.getAttribute("value")), ["csv", "xlsx"]);
    t.equal(text(exportForm.querySelector("label[for=export-format]")), "Export all 60 DIDs as");
    const bulkForm = doc.querySelector("form#bulk")!;
    t.equal(bulkForm.getAttribute("hx-boost"), "false", "the bulk form's export buttons are downloads too");
    t.equal(bulkForm.querySelector("thead")!.getAttribute("hx-boost"), "true", "while its sort links stay htmx links");
    t.same(
      bulkForm.querySelectorAll('button[formaction="/dids/export"]').map((b) => [text(b), b.getAttribute("name"), b.getAttribute("value"), b.getAttribute("hx-post")]),
      [["Export selected (CSV)", "format", "csv", null], ["Export selected (.xlsx)", "format", "xlsx", null]],
    );
    const submitted = new URLSearchParams(fields as [string, string][]);
    submitted.set("format", "csv");
    t.equal(numbersOf(csvRows(await get(`/dids/export?${submitted}`))).length, 60, "what the form submits exports the search");
  });

  t.test("XLSX: DIDs as text cells, numbers as numbers, the creation time as a date", async (t) => {
    const res = await get("/dids/export?format=xlsx&sort=number");
    t.equal(res.statusCode, 200);
    t.equal(res.headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    t.match(res.headers["content-disposition"], /^attachment; filename="dids-\d{4}-\d{2}-\d{2}-\d{4}\.xlsx"$/);
    const { sheet, rows } = await xlsxRows(res);
    t.same(rows[0], header);
    t.equal(rows.length, 1 + total);
    t.same(rows.slice(1, 3).map((r) => r[col("DID")]), ["0098123400", "15551234567"], "DIDs are strings: every digit, the leading zero too");
    t.equal(sheet.getColumn(col("DID") + 1).numFmt, "@", "the DID column is formatted as text");
    t.equal(sheet.getRow(2).getCell(col("DID") + 1).type, ExcelJS.ValueType.String);
    const vip = rows.find((r) => r[col("DID")] === "380442220001")!;
    t.equal(vip[col("ID")], active!.id, "IDs are numbers");
    t.equal(vip[col("Hold days")], 30);
    t.equal(vip[col("Status")], "Active");
    t.equal(vip[col("After hold")], "Reserved");
    t.equal(vip[col("Notes")], "VIP line, \"front\"\nsecond line");
    t.equal(vip[col("Package")], null, "Package present and empty");
    const created = (await db.did.findUniqueOrThrow({ where: { id: active!.id } })).createdAt;
    t.equal((vip[col("Created (UTC)")] as Date).toISOString(), new Date(Math.floor(created.getTime() / 1000) * 1000).toISOString());
    t.notOk(res.headers["content-encoding"], "a zip is not gzipped again");

    // Notes typed in a browser's text area hold CRLF line breaks: CSV keeps them as stored.
    const [typed] = await makeDids(db, kyiv.id, ["380443330001"], { notes: "typed\r\nin a browser" });
    t.equal(csvRows(await get(`/dids/export?id=${typed!.id}`))[1]![col("Notes")], "typed\r\nin a browser");
    const typedXlsx = await xlsxRows(await get(`/dids/export?id=${typed!.id}&format=xlsx`));
    t.equal(typedXlsx.rows[1]![col("Notes")], "typed\nin a browser", "XLSX: Excel's line break (XML would turn a raw CR into LF anyway)");
    await db.did.delete({ where: { id: typed!.id } });
  });

  t.test("gzip: CSV is compressed on the fly, XLSX is not", async (t) => {
    const res = await get("/dids/export?tag=bulk", { "accept-encoding": "gzip" });
    t.equal(res.headers["content-encoding"], "gzip");
    t.notOk(res.headers["content-length"], "streamed, no length known ahead");
    t.equal(parse(zlib.gunzipSync(res.rawPayload), { bom: true }).length, 61);
    const xlsx = await get("/dids/export?format=xlsx&tag=bulk", { "accept-encoding": "gzip" });
    t.notOk(xlsx.headers["content-encoding"]);
  });

  t.test("selected rows: ticked ids, this page, all matching; in the search's sort", async (t) => {
    const picked = await db.did.findMany({ where: { number: { in: [bulk[3]!, bulk[1]!, bulk[2]!] } } });
    let res = await post(admin, { search: "tag=bulk&sort=number&dir=desc", id: picked.map((d) => String(d.id)), format: "csv" });
    t.equal(res.statusCode, 200);
    t.match(res.headers["content-disposition"], /\.csv"$/);
    t.same(numbersOf(csvRows(res)), [bulk[3], bulk[2], bulk[1]], "only the ticked rows, by number descending as the search sorts");

    res = await post(admin, { search: "tag=globex", select: "all", format: "csv" });
    t.same(numbersOf(csvRows(res)), ["0098123400", "15551234567"], "all matching: the search itself");

    const pageIds = html((await get("/dids?tag=bulk&per=25&page=2")).body).querySelectorAll('input[name="page_id"]').map((i) => i.getAttribute("value")!);
    res = await post(admin, { search: "tag=bulk&per=25&page=2", select: "page", page_id: pageIds, format: "xlsx" });
    t.equal(res.statusCode, 200);
    const { rows } = await xlsxRows(res);
    t.same(rows.slice(1).map((r) => r[col("DID")]), bulk.slice(25, 50), "this page: its 25 rows");

    res = await post(admin, { search: "tag=bulk", select: "all" });
    t.equal(csvRows(res).length, 61, "CSV when no format is posted");
  });

  t.test("a selection that cannot be exported: 422 page, no file", async (t) => {
    const cases: [Record<string, string | string[]>, RegExp][] = [
      [{ search: "tag=bulk", format: "csv" }, /Select at least one DID/],
      [{ search: "", id: ["12x"], format: "csv" }, /not a DID ID/],
      [{ search: "status=sold", select: "all", format: "csv" }, /search of this selection is not valid/],
      [{ search: "tag=bulk", select: "all", format: "pdf" }, /"pdf" is not a valid export format/],
    ];
    for (const [fields, message] of cases) {
      const res = await post(admin, fields);
      t.equal(res.statusCode, 422, JSON.stringify(fields));
      t.match(res.headers["content-type"], /text\/html/);
      t.notOk(res.headers["content-disposition"]);
      t.match(text(html(res.body).querySelector(".error-box")), message);
    }
    const noToken = await admin.inject({ method: "POST", url: "/dids/export", ...form({ search: "", select: "all" }), headers: { ...form({}).headers, "x-csrf-token": "" } });
    t.equal(noToken.statusCode, 403, "the CSRF token is required, as for every post");
  });

  t.test("bad URLs: 400 with the message, never a file or a 500", async (t) => {
    const cases: [string, RegExp][] = [
      ["/dids/export?status=sold", /"sold" is not a DID status/],
      ["/dids/export?sort=secret", /not a valid sort column/],
      ["/dids/export?dir=sideways", /not a valid sort direction/],
      ["/dids/export?format=pdf", /"pdf" is not a valid export format/],
      ["/dids/export?format=csv&format=xlsx", /Give this field once/],
      ["/dids/export?operator=999999", /no operator with ID 999999/],
      ["/dids/export?batch=999999", /no creation batch/],
      ["/dids/export?page=-1", /Page must be from 1/],
      ["/dids/export?contains=%3Cscript%3E", /digits only/],
      ["/dids/export?tag=%00", /control characters/],
    ];
    for (const [path, message] of cases) {
      const res = await get(path);
      t.equal(res.statusCode, 400, path);
      t.match(res.headers["content-type"], /text\/html/);
      t.notOk(res.headers["content-disposition"], "no download");
      t.match(text(html(res.body).querySelector(".error-box")), message, path);
      t.notMatch(res.body, /at .*\.(ts|js):\d+/);
    }
  });

  t.test("scope: a reseller's user exports only its DIDs; support may export", async (t) => {
    const globexUser = await signInAs({ role: "reseller", resellerId: globex.id });
    t.same(numbersOf(csvRows(await globexUser.inject({ url: "/dids/export" }))), ["0098123400", "15551234567"]);
    t.same(numbersOf(csvRows(await globexUser.inject({ url: "/dids/export?tag=bulk" }))), [], "a search of another reseller's tag: the header only");
    const other = await globexUser.inject({ url: `/dids/export?operator=${kyiv.id}` });
    t.equal(other.statusCode, 400, "another reseller's operator is unknown here, as on the page");
    const acmeIds = (await db.did.findMany({ where: { tag: "bulk" }, take: 3 })).map((d) => String(d.id));
    let res = await post(globexUser, { search: "", id: acmeIds, format: "csv" });
    t.equal(res.statusCode, 200);
    t.same(numbersOf(csvRows(res)), [], "ticked ids of another reseller are not there");
    res = await post(globexUser, { search: "", select: "all", format: "xlsx" });
    t.same((await xlsxRows(res)).rows.slice(1).map((r) => r[col("DID")]), ["0098123400", "15551234567"], "all matching stays in the scope");

    const support = await signInAs({ role: "support" });
    t.equal(csvRows(await support.inject({ url: "/dids/export" })).length, 1 + total);
    res = await post(support, { search: "tag=globex", select: "all", format: "csv" });
    t.equal(res.statusCode, 200, "support may export a selection");
    const page = html((await support.inject({ url: "/dids?tag=bulk" })).body);
    t.ok(page.querySelector("form.export"), "support sees the Export form");
    t.same(page.querySelectorAll("form#bulk button").map((b) => text(b)), ["Export selected (CSV)", "Export selected (.xlsx)"], "and can tick rows to export, but not change them");
    t.equal(page.querySelector("form#bulk")!.getAttribute("action"), "/dids/export");
  });

  t.test("formula injection: free text is neutralised, numbers are not touched", async (t) => {
    const evil = await makeReseller(db, "+Evil Reseller");
    const op = await makeOperator(db, { name: "=HYPERLINK(\"http://x\")", resellerId: evil.id });
    const acc = await makeClientAccount(db, evil.id, { client: "@SUM(A1)", account: "-acc" });
    const cases: [string, string][] = [
      ["=1+1", "'=1+1"],
      ["+41", "'+41"],
      ["-2+3", "'-2+3"],
      ["@cmd", "'@cmd"],
      ["\tTab", "'\tTab"],
      ["\rCR", "'\rCR"],
      ["'=already quoted", "''=already quoted"],
      ["a=b", "a=b"],
      ["'plain", "'plain"],
      [" =spaced", " =spaced"],
    ];
    const numbers = cases.map((_, i) => `4930000${String(i).padStart(4, "0")}`);
    for (const [i, [notes]] of cases.entries()) {
      await makeDids(db, op.id, [numbers[i]!], { tag: i === 0 ? "=cmd|' /C calc'!A0" : "inj", notes, status: "active", clientAccountId: acc.id });
    }
    const rows = csvRows(await get(`/dids/export?operator=${op.id}&sort=number`));
    t.same(rows.slice(1).map((r) => r[col("Notes")]), cases.map(([, expected]) => expected));
    t.equal(rows[1]![col("Tag")], "'=cmd|' /C calc'!A0");
    t.same(rows.slice(1).map((r) => r[col("DID")]), numbers, "DID numbers exactly as stored");
    t.same(
      ["Operator", "Reseller", "Client", "Account"].map((name) => rows[1]![col(name)]),
      ["'=HYPERLINK(\"http://x\")", "'+Evil Reseller", "'@SUM(A1)", "'-acc"],
      "names too",
    );
    const { rows: sheet } = await xlsxRows(await get(`/dids/export?operator=${op.id}&sort=number&format=xlsx`));
    t.same(
      sheet.slice(1).map((r) => r[col("Notes")]),
      cases.map(([notes]) => notes.replace("\r", "\n")),
      "XLSX holds text cells, never formulas: the values as stored (line breaks as Excel's, a line feed)",
    );
    t.equal(sheet[1]![col("Operator")], "=HYPERLINK(\"http://x\")");
  });

  t.test("HEAD: the headers, and no export run", async (t) => {
    const res = await admin.inject({ method: "HEAD", url: "/dids/export?format=xlsx" });
    t.equal(res.statusCode, 200);
    t.match(res.headers["content-disposition"], /\.xlsx"$/);
    t.equal(res.body, "");
  });

  t.test("streaming: thousands of rows, clients that leave, connections given back", async (t) => {
    await db.$executeRaw`INSERT INTO did (number, status, operator_id, tag) SELECT '4940' || lpad(i::text, 7, '0'), 'in_stock', ${kyiv.id}, 'many' FROM generate_series(1, 20000) i`;
    const res = await get("/dids/export?tag=many");
    t.equal(res.statusCode, 200);
    const rows = csvRows(res);
    t.equal(rows.length, 20001, "every row");
    t.equal(rows[20000]![col("DID")], "49400020000");
    const xlsx = await xlsxRows(await get("/dids/export?tag=many&format=xlsx&sort=number&dir=desc"));
    t.equal(xlsx.rows.length, 20001);
    t.equal(xlsx.rows[1]![col("DID")], "49400020000");

    // Over real HTTP: a client reads the first bytes and goes away, six times (more than the
    // export pool has connections). Each cursor must stop and give its connection back.
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const cookie = admin.cookies;
    const leaveEarly = (format: string) =>
      new Promise<number>((resolve, reject) => {
        const request = http.get(`${address}/dids/export?tag=many&format=${format}`, { headers: { cookie } }, (response) => {
          response.once("data", () => {
            request.destroy();
            resolve(response.statusCode ?? 0);
          });
        });
        request.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
      });
    for (let i = 0; i < 6; i++) t.equal(await leaveEarly(i % 2 ? "xlsx" : "csv"), 200);
    const pg = await import("pg");
    const watcher = new pg.default.Client({ connectionString: url });
    await watcher.connect();
    t.teardown(() => watcher.end());
    const exporting = async () =>
      Number((await watcher.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = '${exportApplicationName}' AND state <> 'idle' AND pid <> pg_backend_pid()`)).rows[0].n);
    let busy = await exporting();
    for (let i = 0; i < 100 && busy > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      busy = await exporting();
    }
    t.equal(busy, 0, "no export query left running after its clients left");
    const after = await fetch(`${address}/dids/export?tag=many`, { headers: { cookie } });
    t.equal(after.status, 200, "the pool is free for the next export");
    t.equal((await after.text()).split("\r\n").length, 20002);

    // The database connection dies half-way (about 22 MB of notes, more than the socket
    // buffers hold while the client pauses): the response is cut short, not finished as if
    // complete, and the next export works.
    await db.$executeRaw`UPDATE did SET notes = repeat('n', 1000) WHERE tag = 'many'`;
    const cut = await new Promise<{ complete: boolean; bytes: number }>((resolve, reject) => {
      const request = http.get(`${address}/dids/export?tag=many`, { headers: { cookie } }, (response) => {
        let bytes = 0;
        response.once("data", async (chunk: Buffer) => {
          bytes += chunk.length;
          response.pause();
          try {
            const killed = await watcher.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '${exportApplicationName}' AND state <> 'idle'`,
            );
            t.equal(killed.rowCount, 1, "the export's connection is killed mid-stream");
          } catch (error) {
            reject(error);
          }
          response.on("data", (more: Buffer) => (bytes += more.length));
          response.resume();
        });
        response.on("close", () => resolve({ complete: response.complete, bytes }));
      });
      request.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
    });
    t.notOk(cut.complete, "the client can tell the file is incomplete");
    t.ok(cut.bytes < 20_000 * 1000, `only part of the file arrived (${cut.bytes} bytes)`);
    const next = await fetch(`${address}/dids/export?tag=globex`, { headers: { cookie } });
    t.equal(next.status, 200);
    t.equal((await next.text()).split("\r\n").length, 4, "the next export works");
  });
});
