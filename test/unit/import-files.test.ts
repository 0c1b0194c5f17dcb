// The import's file reading: every kind of file people upload (CSV in its encodings and
// delimiters, .xlsx, legacy .xls), the spreadsheet traps (numbers, dates, formulas, merged
// cells, empty rows) and hostile files (zip bombs, binary data, a million rows).
// Fixtures: test/fixtures/import (make-fixtures.sh); big and hostile files are made here.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { readdir, readFile, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { finished } from "node:stream/promises";
import iconv from "iconv-lite";
import t from "tap";
import { CellWarnings, dateCellText, numberCellText, warningsPerColumnAndCode } from "../../src/modules/imports/import-cells.js";
import { inspectImportFile, readImportRows, type ImportFileInfo, type ImportWarning, type ReadOptions } from "../../src/modules/imports/import-files.js";
import { maxXlsBytes } from "../../src/modules/imports/xls-file.js";
import { buildZip, deflatedPart, repeatedDeflate } from "../helpers/zip-builder.js";

const fixtures = path.resolve("test/fixtures/import");
const fixture = (name: string) => path.join(fixtures, name);

/** Inspects and reads a file whole: its info, its rows as [row number, ...cells], its warnings. */
async function readAll(file: string, name = path.basename(file), options: ReadOptions = {}) {
  const info = await inspectImportFile(file, name);
  const warnings: ImportWarning[] = [];
  const rows: (number | string)[][] = [];
  for await (const { row, cells } of readImportRows(file, info, options, warnings)) rows.push([row, ...cells]);
  return { info, rows, warnings };
}

async function countRows(file: string, info: ImportFileInfo, options: ReadOptions = {}) {
  let count = 0;
  let last = 0;
  for await (const { row } of readImportRows(file, info, options, [])) {
    count++;
    last = row;
  }
  return { count, last };
}

const importFileError = (message: RegExp) => ({ name: "ImportFileError", message });

t.test("CSV", async (t) => {
  t.test("semicolons, a UTF-8 byte-order mark, CRLF; a row of empty cells skipped with its number kept", async (t) => {
    const { info, rows } = await readAll(fixture("semicolon-bom.csv"));
    t.same(info, { kind: "csv", encoding: "utf-8", delimiter: ";" });
    t.same(rows, [
      [1, "DID", "Operator", "Status", "Tag", "Notes"],
      [2, "380441234567", "Kyivstar", "in_stock", "vip"],
      [3, "380441234568", "Lifecell", "reserved", "", "call before 10:00"],
      [5, "380441234569-380441234571", "Vodafone", "in_stock", "block", "a range"],
    ]);
  });

  t.test("Windows-1252 (é, €) is detected and decoded", async (t) => {
    const { info, rows } = await readAll(fixture("windows-1252.csv"));
    t.same(info, { kind: "csv", encoding: "windows-1252", delimiter: ";" });
    t.same(rows[1], [2, "380441234567", "Télécom Café", "in_stock", "promo", "Prix 5 € par mois"]);
    t.same(rows[2], [3, "380441234568", "Kyivstar", "reserved", "", "Réservé"]);
  });

  t.test("tab-separated .txt: commas and semicolons inside values stay", async (t) => {
    const { info, rows } = await readAll(fixture("tab-separated.txt"));
    t.same(info, { kind: "csv", encoding: "utf-8", delimiter: "\t" });
    t.same(rows, [
      [1, "DID", "Operator", "Status", "Tag", "Notes"],
      [2, "380441234567", "Kyivstar", "in_stock", "vip", "one, two; three"],
      [3, "380441234568", "Lifecell", "reserved"],
    ]);
  });

  t.test("quoted values: new lines, delimiters and doubled quotes inside; short and long rows as they are", async (t) => {
    const { info, rows } = await readAll(fixture("quoted-newlines.csv"));
    t.equal(info.delimiter, ",");
    t.same(rows, [
      [1, "DID", "Operator", "Status", "Tag", "Notes"],
      [2, "380441234567", "Kyivstar", "in_stock", "vip", "first line\nsecond line"],
      [3, "380441234568", "Lifecell, Kyiv", "reserved", "", 'She said "call me"'],
      [4, "380441234569", "Vodafone"],
      [5, "380441234570", "Vodafone", "in_stock", "x", "y", "extra"],
    ]);
  });

  t.test("the delimiter and the encoding can be chosen over the detected ones", async (t) => {
    const { rows } = await readAll(fixture("semicolon-bom.csv"), "dids.csv", { delimiter: "," });
    t.same(rows[0], [1, "DID;Operator;Status;Tag;Notes"]);
    const { rows: latin } = await readAll(fixture("semicolon-bom.csv"), "dids.csv", { encoding: "windows-1252" });
    t.same(latin[0]?.[1], "ï»¿DID", "the UTF-8 byte-order mark read as Windows-1252, as asked");
    await t.rejects(readAll(fixture("windows-1252.csv"), "dids.csv", { encoding: "utf-8" }), importFileError(/is not valid UTF-8\. Choose the Windows-1252 encoding/));
  });

  t.test("the delimiter is sniffed outside quotes, from the first non-blank line", async (t) => {
    const dir = t.testdir({
      "quoted.csv": '"Notes; with, commas","DID"\n"a;b;c",380441234567\n',
      "blank-first.csv": "\n\t\nDID;Operator\n380441234567;Kyivstar\n",
      "one-column.csv": "DID\n380441234567\n",
    });
    t.equal((await inspectImportFile(path.join(dir, "quoted.csv"), "quoted.csv")).delimiter, ",");
    t.equal((await inspectImportFile(path.join(dir, "blank-first.csv"), "blank-first.csv")).delimiter, ";");
    t.equal((await inspectImportFile(path.join(dir, "one-column.csv"), "one-column.csv")).delimiter, ",");
  });

  t.test("an unclosed quote is an error that points at it", async (t) => {
    const dir = t.testdir({ "quote.csv": 'DID,Notes\n380441234567,"never closed\n380441234568,x\n' });
    await t.rejects(readAll(path.join(dir, "quote.csv")), importFileError(/A quoted value is never closed \(line \d+\)/));
  });

  t.test("a file ASCII for its first megabyte and Windows-1252 later is read as Windows-1252 throughout", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "late.csv");
    const asciiRows = Array.from({ length: 60_000 }, (_, i) => `${380440000000 + i};Kyivstar\n`).join("");
    t.ok(asciiRows.length > 2 ** 20, "more than the megabyte the encoding is detected from");
    await writeFile(file, Buffer.concat([Buffer.from(`DID;Operator\n${asciiRows}`), iconv.encode("380449999999;Télécom €\n", "windows-1252")]));
    const info = await inspectImportFile(file, "late.csv");
    t.equal(info.encoding, "utf-8", "the first megabyte is ASCII");
    const warnings: ImportWarning[] = [];
    const rows = [];
    for await (const row of readImportRows(file, info, {}, warnings)) rows.push(row);
    t.equal(rows.length, 60_002, "every row once, none repeated by the second reading");
    t.same(rows.at(-1), { row: 60_002, cells: ["380449999999", "Télécom €"] });
    t.same(new Set(rows.map((r) => r.row)).size, rows.length);
    t.match(warnings, [{ code: "encoding", column: 0, message: /read as Windows-1252/ }]);
  });

  t.test("UTF-8 text early and Windows-1252 bytes later: the file mixes encodings, an error", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "mixed.csv");
    const filler = Array.from({ length: 60_000 }, (_, i) => `${380440000000 + i};Kyivstar\n`).join("");
    await writeFile(file, Buffer.concat([Buffer.from(`DID;Operator\n380441234567;Télécom\n${filler}`), iconv.encode("380449999999;Café\n", "windows-1252")]));
    await t.rejects(readAll(file), importFileError(/is not valid UTF-8, although the text before it is: the file mixes text encodings/));
  });

  t.test("UTF-16, with or without a byte-order mark: asked to save as CSV UTF-8", async (t) => {
    const message = /This looks like a UTF-16 text file\. Open it in Excel or LibreOffice, save it as “CSV UTF-8” and upload it again\./;
    await t.rejects(inspectImportFile(fixture("utf-16.csv"), "utf-16.csv"), importFileError(message));
    const dir = t.testdir();
    const noBom = path.join(dir, "no-bom.csv");
    await writeFile(noBom, Buffer.from("DID;Operator\r\n380441234567;Kyivstar\r\n", "utf16le"));
    await t.rejects(inspectImportFile(noBom, "no-bom.csv"), importFileError(message));
  });

  t.test("binary data named .csv", async (t) => {
    await t.rejects(inspectImportFile(fixture("binary.csv"), "binary.csv"), importFileError(/^This file is not text: it holds binary data\./));
  });

  t.test("an empty file, and one of blank lines only", async (t) => {
    await t.rejects(inspectImportFile(fixture("empty.csv"), "empty.csv"), importFileError(/^The file is empty\.$/));
    const dir = t.testdir({ "blank.csv": "\uFEFF\r\n  \r\n\t\r\n" });
    await t.rejects(inspectImportFile(path.join(dir, "blank.csv"), "blank.csv"), importFileError(/^The file is empty\.$/));
  });

  t.test("a million rows stream through", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "million.csv");
    const out = createWriteStream(file);
    out.write("DID;Operator;Status;Tag;Notes\n");
    for (let start = 0; start < 1_000_000; start += 10_000) {
      const block = Array.from({ length: 10_000 }, (_, i) => `${380440000000 + start + i};Kyivstar;in_stock;bulk;"row ${start + i}"\n`).join("");
      if (!out.write(block)) await once(out, "drain");
    }
    out.end();
    await finished(out);
    const info = await inspectImportFile(file, "million.csv");
    t.same(await countRows(file, info), { count: 1_000_001, last: 1_000_001 });
  });
});

t.test("kinds: the content decides, the name is checked", async (t) => {
  t.test("an extension that is none of .csv, .txt, .xlsx, .xls", async (t) => {
    await t.rejects(inspectImportFile(fixture("semicolon-bom.csv"), "dids.pdf"), importFileError(/^This file is named \.pdf\. Upload a \.csv, \.txt, \.xlsx or \.xls file/));
    await t.rejects(inspectImportFile(fixture("semicolon-bom.csv"), "dids"), importFileError(/^This file has no extension\./));
  });

  t.test("a file named .xlsx that is not a workbook", async (t) => {
    await t.rejects(inspectImportFile(fixture("not-a-zip.xlsx"), "not-a-zip.xlsx"), importFileError(/^This file is named \.xlsx but is not an Excel workbook/));
    await t.rejects(inspectImportFile(fixture("semicolon-bom.csv"), "dids.xls"), importFileError(/^This file is named \.xls but is not an Excel workbook/));
  });

  t.test("a workbook under the wrong extension reads as what it is", async (t) => {
    t.same(await inspectImportFile(fixture("numbers.xlsx"), "Export.CSV"), { kind: "xlsx", sheets: ["DIDs"] });
    t.same(await inspectImportFile(fixture("legacy.xls"), "dids.xlsx"), { kind: "xls", sheets: ["DIDs", "Archive"] });
  });

  t.test("a zip that holds no workbook, and a damaged one", async (t) => {
    const dir = t.testdir();
    const notWorkbook = path.join(dir, "archive.xlsx");
    await writeFile(notWorkbook, buildZip([deflatedPart("readme.txt", "DIDs are in the other file.")]));
    await t.rejects(inspectImportFile(notWorkbook, "archive.xlsx"), importFileError(/^This file is a zip archive but not an Excel workbook\./));
    const damaged = path.join(dir, "damaged.xlsx");
    await writeFile(damaged, await readFile(fixture("numbers.xlsx")));
    await truncate(damaged, 3000);
    await t.rejects(inspectImportFile(damaged, "damaged.xlsx"), importFileError(/^This workbook could not be read: it may be damaged\./));
  });
});

t.test(".xlsx", async (t) => {
  t.test("numbers stored as numbers: every digit, never exponent or decimal notation, each with a warning", async (t) => {
    const { rows, warnings } = await readAll(fixture("numbers.xlsx"));
    t.same(rows, [
      [1, "DID", "Operator", "Status", "Hold days", "Notes"],
      [2, "380441234567", "Kyivstar", "in_stock", "30", "typed as a number"],
      [3, "380440000000", "Kyivstar", "reserved", "", "shown as 3.8044E+11"],
      [4, "0441234567", "Lifecell", "in_stock", "", "zero-padded to 10 digits"],
      [5, "380441234571", "Vodafone", "archive", "", "shown with a decimal"],
      [6, "380441234572", "Vodafone", "in_stock", "", "typed as text"],
      [7, "38044123456789000", "Vodafone", "in_stock", "", "17 digits typed as a number"],
    ]);
    t.match(warnings, [
      { row: 2, column: 1, code: "number", message: /holds a number, not text: read as 380441234567\. Any leading zeros were lost/ },
      { row: 2, column: 4, code: "number" },
      { row: 3, column: 1, code: "number", message: /read as 380440000000\./ },
      { row: 4, column: 1, code: "zero-padded-number", message: /read as 0441234567, as shown/ },
      { row: 5, column: 1, code: "number" },
      { row: 7, column: 1, code: "long-number", message: /more than 15 digits/ },
    ]);
    t.equal(warnings.length, 6, "text cells have none");
  });

  t.test("formulas, merged cells, an empty row, dates, rich text, a link, #N/A, blank trailing cells", async (t) => {
    const { info, rows, warnings } = await readAll(fixture("traps.xlsx"));
    t.same(info, { kind: "xlsx", sheets: ["Traps"] });
    t.same(rows, [
      [1, "DID", "Operator", "Status", "Tag", "Notes"],
      [2, "380441234567", "LIFECELL", "in_stock", "vip", "Call before 10:00"], // a formula's saved result; rich text
      [3, "380441234568", "Kyivstar", "reserved", "Block A"], // merged B3:B4 and D3:E3: the value in the top-left cell only
      [4, "380441234569", "", "reserved", "", "2026-01-15"], // a date
      // row 5 is empty
      [6, "380441234570", "Vodafone", "", "1", "ticket 42"], // =NA(); LibreOffice writes TRUE as 1; a hyperlink's text
      [7, "380441234571", "Lifecell", "in_stock", "", "2026-01-15 13:45"], // a formula's number; a date and time
      [8, "380441234572", "Vodafone", "in_stock"], // "   " and two coloured empty cells at the end
    ]);
    t.match(warnings, [
      { row: 4, column: 5, code: "date", message: /holds a date: read as 2026-01-15\./ },
      { row: 6, column: 3, code: "error-value", message: /error value: read as empty/ },
      { row: 6, column: 4, code: "number" },
      { row: 7, column: 1, code: "number" },
      { row: 7, column: 5, code: "date", message: /read as 2026-01-15 13:45\./ },
    ]);
  });

  t.test("as a program writes it: a formula never calculated, booleans, an error value, shared formulas, a 0 result", async (t) => {
    const { rows, warnings } = await readAll(fixture("exceljs-written.xlsx"));
    t.same(rows, [
      [1, "DID", "Operator", "Status", "Tag", "Notes"],
      [2, "380441234567", "", "in_stock", "TRUE"],
      [3, "380441234568", "Kyivstar", "reserved", "FALSE", "Call before 10:00"],
      [4, "380441234569", "0"],
      [5, "380441234570"],
    ]);
    t.match(warnings, [
      { row: 2, column: 2, code: "formula-without-result", message: /result was never saved: read as empty/ },
      { row: 2, column: 5, code: "error-value", message: /the error #N\/A: read as empty/ },
      { row: 4, column: 1, code: "number" },
      { row: 4, column: 2, code: "number" },
      { row: 5, column: 1, code: "number" },
    ]);
  });

  t.test("several sheets: listed in order, the first read by default, another by name", async (t) => {
    const file = fixture("multi-sheet.xlsx");
    const info = await inspectImportFile(file, "offices.xlsx");
    t.same(info, { kind: "xlsx", sheets: ["Kyiv", "Lviv", "Read me"] });
    const read = async (sheet?: string) => {
      const rows = [];
      for await (const { row, cells } of readImportRows(file, info, { sheet }, [])) rows.push([row, ...cells]);
      return rows;
    };
    t.same(await read(), [[1, "DID", "Operator"], [2, "380441234567", "Kyivstar"]]);
    t.same(await read("Lviv"), [[1, "Number", "Provider"], [2, "380322123456", "Lifecell"], [3, "380322123457", "Vodafone"]]);
    await t.rejects(read("Odesa"), importFileError(/^This workbook has no sheet named “Odesa”\.$/));
  });

  t.test("one merged range over the whole sheet reads fast, in little memory", async (t) => {
    const before = process.memoryUsage().heapUsed;
    const { rows } = await readAll(fixture("merged-range-bomb.xlsx"));
    t.equal(rows.length, 7, "the rows of the sheet, nothing made of the range");
    t.ok(process.memoryUsage().heapUsed - before < 100 * 2 ** 20, "under 100 MB more heap");
  });

  t.test("a limit stops reading; the file is closed at any stop", async (t) => {
    const openFiles = async () => (await readdir("/proc/self/fd")).length;
    const before = await openFiles();
    for (const name of ["numbers.xlsx", "legacy.xls", "semicolon-bom.csv"]) {
      const info = await inspectImportFile(fixture(name), name);
      t.same(await countRows(fixture(name), info, { limit: 2 }), { count: 2, last: 2 }, name);
      for await (const _ of readImportRows(fixture(name), info, {}, [])) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.equal(await openFiles(), before, "no file left open");
  });
});

t.test("zip bombs", async (t) => {
  const contentTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`;
  const workbook = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="DIDs" sheetId="1" r:id="rId1"/></sheets></workbook>`;
  const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`;
  const sheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`;
  const sheetTail = `</t></is></c></row></sheetData></worksheet>`;
  /** An .xlsx whose one cell holds `megabytes` MiB of text: memory would fill if it were read. */
  function bombWorkbook(megabytes: number, declaredSize?: number): Buffer {
    const { deflated, size } = repeatedDeflate(sheetHead, "3".repeat(2 ** 20), megabytes, sheetTail);
    return buildZip([
      deflatedPart("[Content_Types].xml", contentTypes),
      deflatedPart("xl/workbook.xml", workbook),
      deflatedPart("xl/_rels/workbook.xml.rels", rels),
      { name: "xl/worksheets/sheet1.xml", deflated, uncompressedSize: declaredSize ?? size },
    ]);
  }
  const tooLarge = /^This workbook is too large to import, or built to overflow memory when unpacked: it was not read\./;

  t.test("a sheet that declares more than 1 GB, from about a megabyte, is refused before it inflates", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "bomb.xlsx");
    const bomb = bombWorkbook(1100);
    t.ok(bomb.length < 2 * 2 ** 20, "the file itself is small");
    await writeFile(file, bomb);
    await t.rejects(inspectImportFile(file, "bomb.xlsx"), importFileError(tooLarge));
  });

  t.test("a part that declares a size within the limits but unpacks to far more is stopped where its size runs out", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "liar.xlsx");
    await writeFile(file, bombWorkbook(1100, 100_000));
    const info = await inspectImportFile(file, "liar.xlsx");
    t.same(info, { kind: "xlsx", sheets: ["DIDs"] }, "the small parts read");
    await t.rejects(countRows(file, info), importFileError(tooLarge));
  });

  t.test("a part that compresses far better than any sheet is refused", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "ratio.xlsx");
    await writeFile(file, bombWorkbook(50));
    await t.rejects(inspectImportFile(file, "ratio.xlsx"), importFileError(tooLarge));
  });

  t.test("a zip of ten thousand parts is refused", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "many.xlsx");
    const tiny = deflatedPart("x", "");
    await writeFile(file, buildZip(Array.from({ length: 10_001 }, (_, i) => ({ ...tiny, name: `xl/media/${i}.xml` }))));
    await t.rejects(inspectImportFile(file, "many.xlsx"), importFileError(tooLarge));
  });
});

t.test(".xls (Excel 97-2003)", async (t) => {
  t.test("the same traps, as far as the format goes", async (t) => {
    const { info, rows, warnings } = await readAll(fixture("legacy.xls"));
    t.same(info, { kind: "xls", sheets: ["DIDs", "Archive"] });
    t.same(rows, [
      [1, "DID", "Operator", "Status", "Tag", "Notes"],
      [2, "380440000000", "Kyivstar", "in_stock", "Block A"], // shown as 3.8044E+11; merged D2:E2
      [3, "0441234567", "Lifecell", "", "1", "2026-01-15"], // zero-padded; =NA(); TRUE as LibreOffice writes it; a date
      // row 4 is empty
      [5, "380441234571", "Vodafone", "archive"], // shown as 380441234571.0
      [6, "380441234572", "Vodafone", "in_stock"], // a formula's saved result
    ]);
    t.match(warnings, [
      { row: 2, column: 1, code: "number", message: /read as 380440000000\./ },
      { row: 3, column: 1, code: "zero-padded-number", message: /read as 0441234567, as shown/ },
      { row: 3, column: 3, code: "error-value", message: /the error #N\/A: read as empty/ },
      { row: 3, column: 4, code: "number" },
      { row: 3, column: 5, code: "date", message: /read as 2026-01-15\./ },
      { row: 5, column: 1, code: "number" },
      { row: 6, column: 1, code: "number" },
    ]);
  });

  t.test("another sheet by name; an unknown name", async (t) => {
    const file = fixture("legacy.xls");
    const info = await inspectImportFile(file, "legacy.xls");
    const rows = [];
    for await (const { row, cells } of readImportRows(file, info, { sheet: "Archive" }, [])) rows.push([row, ...cells]);
    t.same(rows, [[1, "DID", "Status"], [2, "380441230000", "archive"]]);
    await t.rejects(countRows(file, info, { sheet: "2025" }), importFileError(/^This workbook has no sheet named “2025”\.$/));
  });

  t.test("a file over the size cap is not read", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "huge.xls");
    await writeFile(file, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
    await truncate(file, maxXlsBytes + 1);
    await t.rejects(inspectImportFile(file, "huge.xls"), importFileError(/^This \.xls workbook is larger than 32 MB\./));
  });

  t.test("an OLE2 file that is no workbook", async (t) => {
    const dir = t.testdir();
    const file = path.join(dir, "garbage.xls");
    await writeFile(file, Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600, 7)]));
    await t.rejects(inspectImportFile(file, "garbage.xls"), importFileError(/^This \.xls workbook could not be read: it may be damaged\./));
  });
});

t.test("cell values as text", async (t) => {
  t.test("numbers", async (t) => {
    t.match(numberCellText(380440000000, "0.0000E+00"), { text: "380440000000", warning: { code: "number" } });
    t.match(numberCellText(380441234571, "0.0"), { text: "380441234571" });
    t.match(numberCellText(441234567, "000000000000"), { text: "000441234567", warning: { code: "zero-padded-number" } });
    t.match(numberCellText(-42, undefined), { text: "-42" });
    t.match(numberCellText(0.1 + 0.2, "General"), { text: "0.3" }, "Excel's 15 digits");
    t.match(numberCellText(12345678901234567890, undefined), { text: "12345678901234600000", warning: { code: "long-number" } }, "zeros past 15 digits, as Excel shows");
    t.match(numberCellText(1e21, undefined), { text: "1000000000000000000000" }, "no exponent even past 1e21");
  });

  t.test("dates keep their time only when they have one", async (t) => {
    t.match(dateCellText(new Date(Date.UTC(2026, 0, 15))), { text: "2026-01-15", warning: { code: "date" } });
    t.match(dateCellText(new Date(Date.UTC(2026, 0, 15, 13, 45))), { text: "2026-01-15 13:45" });
    t.match(dateCellText(new Date(Date.UTC(2026, 0, 15, 13, 45, 30))), { text: "2026-01-15 13:45:30" });
  });

  t.test("warnings: the first ones of a kind in a column, then a count of the rest", async (t) => {
    const warnings: ImportWarning[] = [];
    const sink = new CellWarnings(warnings);
    for (let row = 1; row <= 250; row++) sink.add(row, 1, "number", "a number");
    sink.add(1, 2, "number", "a number");
    sink.finish();
    t.equal(warnings.length, warningsPerColumnAndCode + 2);
    t.same(warnings.at(-1), { row: 0, column: 1, code: "number", message: "…and 150 more cells like this in this column." });
  });
});
