// The export's file writers without a database: the file name, and streams that read their
// rows only as fast as they are read and fail loudly mid-way. (The CSV's cells are written
// by PostgreSQL: test/db/export-csv-sql.test.ts.)
import t from "tap";
import ExcelJS from "exceljs";
import { csvFile, exportFileName, xlsxFile } from "../../src/modules/exports/export-files.js";
import type { DidExportRow } from "../../src/modules/dids/dids.repo.js";

const row = (i: number): DidExportRow => ({
  id: i,
  number: `380441${String(i).padStart(6, "0")}`,
  status: "in_stock",
  operator: "Kyivstar",
  reseller: "Acme",
  afterHold: "in_stock",
  holdDays: 0,
  tag: null,
  notes: "some notes",
  client: null,
  account: null,
  package: null,
  created: "2026-11-27 08:12:34",
});

/**
 * Rows without end, in batches of 1,000 like the cursor's, counting how many were taken;
 * `failAt` throws there instead.
 */
function batches(counter: { taken: number; closed: boolean }, failAt = Infinity): AsyncIterable<DidExportRow[]> {
  return (async function* () {
    try {
      for (let first = 1; ; first += 1000) {
        if (first >= failAt) throw new Error("the database went away");
        await new Promise((resolve) => setImmediate(resolve));
        counter.taken = first + 999;
        yield Array.from({ length: 1000 }, (_, i) => row(first + i));
      }
    } finally {
      counter.closed = true;
    }
  })();
}

t.test("the file name carries the date and time, in UTC", async (t) => {
  t.equal(exportFileName("csv", new Date("2026-11-27T08:12:59.999Z")), "dids-2026-11-27-0812.csv");
  t.equal(exportFileName("xlsx", new Date("2026-01-02T23:05:00Z")), "dids-2026-01-02-2305.xlsx");
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The file of these rows: XLSX from the rows, CSV from lines as PostgreSQL would write them. */
function open(format: "csv" | "xlsx", source: AsyncIterable<DidExportRow[]>) {
  if (format === "xlsx") return xlsxFile(source);
  return csvFile(
    (async function* () {
      for await (const rows of source) yield rows.map((r) => ({ line: `${r.id},${r.number}` }));
    })(),
  );
}

for (const format of ["csv", "xlsx"] as const) {
  t.test(`${format}: rows are taken only as the file is read`, async (t) => {
    const counter = { taken: 0, closed: false };
    const file = open(format, batches(counter));
    file.once("data", () => file.pause());
    // The buffers between the rows and the reader fill up, then nothing moves.
    let held = -1;
    for (let i = 0; i < 30 && counter.taken !== held; i++) {
      held = counter.taken;
      await pause(150);
    }
    t.ok(held > 0 && held < 20_000, `a few batches ahead of the reader (${held} rows)`);
    await pause(300);
    t.equal(counter.taken, held, "a reader that stops, stops the rows");
    file.destroy();
    await pause(50);
    t.ok(counter.closed, "a destroyed file stops its rows");
  });

  t.test(`${format}: an error half-way fails the stream`, async (t) => {
    const counter = { taken: 0, closed: false };
    const file = open(format, batches(counter, 2500));
    let bytes = 0;
    file.on("data", (chunk: Buffer) => (bytes += chunk.length));
    const error = await new Promise<Error>((resolve) => file.on("error", resolve));
    t.match(error.message, "the database went away");
    if (format === "csv") t.ok(bytes > 0, "after some of the file was out");
  });
}

t.test("xlsx: the zip keeps up with the rows instead of piling their XML up", async (t) => {
  const counter = { taken: 0, closed: false };
  const limited = (async function* () {
    for await (const batch of batches(counter)) {
      yield batch;
      if (counter.taken >= 40_000) return;
    }
  })();
  let bytes = 0;
  let takenAtOneMegabyte = 0;
  for await (const chunk of xlsxFile(limited)) {
    bytes += (chunk as Buffer).length;
    if (bytes >= 1024 * 1024 && takenAtOneMegabyte === 0) takenAtOneMegabyte = counter.taken;
  }
  t.ok(bytes > 2 * 1024 * 1024, `a file of ${bytes} bytes`);
  t.ok(takenAtOneMegabyte > 0 && takenAtOneMegabyte < 30_000, `the first megabyte was out after ${takenAtOneMegabyte} of 40,000 rows, not at the end`);
});

t.test("xlsx: a whole file, read back", async (t) => {
  const list = [row(1), { ...row(2), notes: "=cmd", tag: "+x", client: "Hotel", account: "desk", status: "active" as const, holdDays: 7 }];
  const chunks: Buffer[] = [];
  for await (const chunk of xlsxFile((async function* () { yield list; })())) chunks.push(chunk as Buffer);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet("DIDs")!;
  t.equal(sheet.rowCount, 3);
  t.equal(sheet.getRow(1).font?.bold, true, "a bold header");
  t.match(sheet.views[0], { state: "frozen", ySplit: 1 }, "frozen under the header");
  const values = sheet.getRow(3).values as ExcelJS.CellValue[];
  t.same(values.slice(1, 12), [2, "Active", "Kyivstar", "380441000002", "+x", "=cmd", "Hotel", "desk", "Acme", "In stock", 7]);
  t.equal(sheet.getRow(3).getCell(6).type, ExcelJS.ValueType.String, "a string, not a formula");
});
