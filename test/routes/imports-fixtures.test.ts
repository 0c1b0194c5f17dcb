// The fixture files (made by LibreOffice, exceljs and by hand: test/fixtures/import) go
// through the whole import as a person would take them: upload, the proposed mapping,
// check, commit. Each lands the DIDs a person reading the file would expect, and the
// Excel traps are shown as warnings or refused rows, never imported wrong.
import { readFile } from "node:fs/promises";
import t from "tap";
import { buildTestApp, form, html, text } from "../helpers/app.js";
import { makeReseller } from "../helpers/factories.js";
import { multipart } from "../helpers/multipart.js";

const fixture = (name: string) => readFile(new URL(`../fixtures/import/${name}`, import.meta.url));

t.test("fixture files", async (t) => {
  const { db, admin } = await buildTestApp(t);
  const reseller = await makeReseller(db, "Acme");

  /** Imports a fixture with the mapping the page proposes; returns the DIDs created and the report page. */
  async function importFixture(name: string, options: { sheet?: string; mapping?: Record<string, string> } = {}) {
    await db.did.deleteMany();
    const body = multipart({ _csrf: admin.csrfToken, header: "1", status: "in_stock", after_hold: "in_stock" }, { name, content: await fixture(name) });
    const uploaded = await admin.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
    if (uploaded.statusCode !== 303) throw new Error(`${name}: upload answered ${uploaded.statusCode}: ${text(html(uploaded.body).querySelector(".field-error"))}`);
    const id = Number(/\d+$/.exec(String(uploaded.headers.location))![0]);
    let page = html((await admin.inject({ url: `/imports/${id}` })).body);
    const post = (path: string, fields: Record<string, string>) => admin.inject({ method: "POST", url: `/imports/${id}/${path}`, ...form({ ...fields, _csrf: admin.csrfToken }) });
    const reading = (): Record<string, string> => {
      const delimiter = page.querySelector("#m-delimiter option[selected]")?.getAttribute("value");
      return { header: "1", ...(delimiter ? { delimiter } : {}), ...(options.sheet ? { sheet: options.sheet } : {}) };
    };
    if (options.sheet) page = html((await post("mapping", { ...reading(), action: "preview" })).body);
    const proposed = Object.fromEntries(page.querySelectorAll("select[name^='col_']").map((s) => [s.getAttribute("name")!, s.querySelector("option[selected]")?.getAttribute("value") ?? "ignore"]));
    const preview = page;
    const checked = await post("mapping", { ...reading(), ...proposed, ...options.mapping, create_operators_under: String(reseller.id), action: "check" });
    if (checked.statusCode !== 303) throw new Error(`${name}: check answered ${checked.statusCode}: ${text(html(checked.body).querySelector(".field-error, .error-box"))}`);
    const report = html((await admin.inject({ url: `/imports/${id}` })).body);
    await post("commit", {});
    const dids = await db.did.findMany({ orderBy: { number: "asc" }, include: { operator: true } });
    return {
      proposed,
      preview,
      report,
      rejected: Object.fromEntries(report.querySelectorAll("table.report tbody tr").map((tr) => [tr.getAttribute("data-reason"), text(tr.querySelector("td:nth-child(3)"))])),
      warnings: report.querySelectorAll("details.warnings li").map((li) => text(li)),
      dids: dids.map((d) => [d.number, d.operator.name, d.status, d.tag, d.notes]),
    };
  }

  t.test("semicolon CSV with a BOM: a range, an empty row", async (t) => {
    const r = await importFixture("semicolon-bom.csv");
    t.same(r.proposed, { col_0: "did", col_1: "operator", col_2: "status", col_3: "tag", col_4: "notes" });
    t.same(r.dids, [
      ["380441234567", "Kyivstar", "in_stock", "vip", null],
      ["380441234568", "Lifecell", "reserved", null, "call before 10:00"],
      ["380441234569", "Vodafone", "in_stock", "block", "a range"],
      ["380441234570", "Vodafone", "in_stock", "block", "a range"],
      ["380441234571", "Vodafone", "in_stock", "block", "a range"],
    ]);
  });

  t.test("Windows-1252 CSV: accents and the euro sign survive", async (t) => {
    const r = await importFixture("windows-1252.csv");
    t.match(text(r.preview.querySelector("#m-delimiter")?.parentNode), /Windows-1252 \(detected\)/);
    t.same(r.dids, [
      ["380441234567", "Télécom Café", "in_stock", "promo", "Prix 5 € par mois"],
      ["380441234568", "Kyivstar", "reserved", null, "Réservé"],
    ]);
  });

  t.test("tab separated text", async (t) => {
    const r = await importFixture("tab-separated.txt");
    t.equal(r.preview.querySelector("#m-delimiter option[selected]")?.getAttribute("value"), "tab");
    t.same(r.dids, [
      ["380441234567", "Kyivstar", "in_stock", "vip", "one, two; three"],
      ["380441234568", "Lifecell", "reserved", null, null],
    ]);
  });

  t.test("quoted fields with new lines, quotes and commas; a short row and a long one", async (t) => {
    const r = await importFixture("quoted-newlines.csv");
    t.same(r.dids, [
      ["380441234567", "Kyivstar", "in_stock", "vip", "first line\nsecond line"],
      ["380441234568", "Lifecell, Kyiv", "reserved", null, 'She said "call me"'],
      ["380441234569", "Vodafone", "in_stock", null, null],
      ["380441234570", "Vodafone", "in_stock", "x", "y"],
    ]);
    t.match(r.warnings.join("\n"), /Row 5, column 6: The row has 6 cells, the header 5/);
  });

  t.test("numbers stored as numbers in .xlsx: full digits, zero padding kept, a 17-digit number refused", async (t) => {
    const r = await importFixture("numbers.xlsx");
    t.same(r.proposed, { col_0: "did", col_1: "operator", col_2: "status", col_3: "hold_days", col_4: "notes" });
    t.same(r.dids.map((d) => d[0]), ["0441234567", "380440000000", "380441234567", "380441234571", "380441234572"]);
    t.same(r.rejected, { invalid_number: "7" }, "digits lost past 15 are never imported");
    const warnings = r.warnings.join("\n");
    t.match(warnings, /Row 3, column 1: This cell holds a number, not text: read as 380440000000/);
    t.match(warnings, /Row 4, column 1: This cell holds a number shown with leading zeros: read as 0441234567/);
    t.notMatch(warnings, /column 4/, "a number in the hold days column is what was meant: no warning");
    t.equal((await db.did.findFirstOrThrow({ where: { number: "380441234567" } })).holdDays, 30);
  });

  t.test("a multi-sheet workbook: the sheet is chosen", async (t) => {
    const r = await importFixture("multi-sheet.xlsx", { sheet: "Lviv" });
    t.same(r.preview.querySelectorAll("#m-sheet option").map((o) => text(o)), ["Kyiv", "Lviv", "Read me"]);
    t.same(r.proposed, { col_0: "did", col_1: "operator" }, "Number and Provider are recognised");
    t.same(r.dids, [
      ["380322123456", "Lifecell", "in_stock", null, null],
      ["380322123457", "Vodafone", "in_stock", null, null],
    ]);
  });

  t.test("traps in .xlsx: formulas, merged cells, an empty row, dates, errors, rich text", async (t) => {
    const r = await importFixture("traps.xlsx");
    t.same(r.dids.map((d) => [d[0], d[1]]), [
      ["380441234567", "Lifecell"],
      ["380441234568", "Kyivstar"],
      ["380441234570", "Vodafone"],
      ["380441234571", "Lifecell"],
      ["380441234572", "Vodafone"],
    ], "names match whatever their case");
    t.same(r.rejected, { unknown_operator: "4" }, "a merged cell's other cells are empty: no operator there");
    const warnings = r.warnings.join("\n");
    t.match(warnings, /Row 4, column 5: This cell holds a date: read as 2026-01-15/);
    t.match(warnings, /Row 6, column 3: This cell holds an error value/);
    t.equal((await db.did.findFirstOrThrow({ where: { number: "380441234571" } })).notes, "2026-01-15 13:45", "a date where text was meant is kept as its text");
  });

  t.test("a workbook written by exceljs: formulas without results, booleans", async (t) => {
    const r = await importFixture("exceljs-written.xlsx");
    t.match(r.warnings.join("\n"), /formula whose result was never saved/);
    t.ok(r.dids.some((d) => d[0] === "380441234568" && d[1] === "Kyivstar"));
  });

  t.test("legacy .xls", async (t) => {
    const r = await importFixture("legacy.xls");
    t.same(r.dids.map((d) => [d[0], d[1], d[2]]), [
      ["0441234567", "Lifecell", "in_stock"],
      ["380440000000", "Kyivstar", "in_stock"],
      ["380441234571", "Vodafone", "archive"],
      ["380441234572", "Vodafone", "in_stock"],
    ]);
    const second = await importFixture("legacy.xls", { sheet: "Archive", mapping: { col_0: "did", col_1: "status" } });
    t.same(second.rejected, { unknown_operator: "2" }, "a sheet without operators needs a default operator");
  });

  t.test("bad workbooks are refused at upload with a message", async (t) => {
    for (const [name, message] of [
      ["merged-range-bomb.xlsx", /./],
      ["not-a-zip.xlsx", /not an Excel workbook/],
      ["utf-16.csv", /UTF-16/],
      ["binary.csv", /./],
      ["empty.csv", /empty/],
    ] as const) {
      const body = multipart({ _csrf: admin.csrfToken, header: "1" }, { name, content: await fixture(name) });
      const res = await admin.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
      if (name === "merged-range-bomb.xlsx") {
        // The bomb is a valid workbook with one huge merged range: it reads fast and small.
        t.equal(res.statusCode, 303, name);
        const page = await admin.inject({ url: String(res.headers.location) });
        t.equal(page.statusCode, 200, `${name}: its preview renders`);
        continue;
      }
      t.equal(res.statusCode, 422, name);
      t.match(text(html(res.body).querySelector("#file-error")), message, name);
    }
  });
});
