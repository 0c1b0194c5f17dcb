// The export's files: their columns, how a cell is written, and the CSV and XLSX writers.
// Both take the rows as the cursor hands them over and keep no more than a chunk of them,
// so memory does not grow with the number of rows. A CSV line is written by PostgreSQL,
// from SQL built here (csvLineSql); an XLSX row is written here, from typed columns.
import { PassThrough, Readable, type Writable } from "node:stream";
import ExcelJS from "exceljs";
import { Prisma } from "../../generated/prisma/client.js";
import { statusLabels, type DidStatus } from "../dids/did-filters.js";
import type { DidExportRow, ExportColumnsSql } from "../dids/dids.repo.js";

export const exportFormats = ["csv", "xlsx"] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportContentTypes: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/**
 * - integer: a number (ID, hold days);
 * - digits: a DID, written exactly as stored; a text cell in .xlsx, so that a spreadsheet
 *   keeps every digit and leading zero;
 * - status: the label the table shows ("In stock");
 * - text: free text someone typed (names, tag, notes): neutralised in CSV (csvTextSql);
 * - time: UTC, "YYYY-MM-DD HH:MM:SS" (a date cell in .xlsx).
 */
type Kind = "integer" | "digits" | "status" | "text" | "time";

/**
 * The file's columns: the inventory table's, in its order (its "Client / account" cell
 * split in two), then what an import needs to rebuild a DID, the manual's Package column
 * and the creation time. The headers are the names an import matches.
 */
export const exportColumns: readonly { header: string; key: keyof DidExportRow; kind: Kind; width: number }[] = [
  { header: "ID", key: "id", kind: "integer", width: 9 },
  { header: "Status", key: "status", kind: "status", width: 10 },
  { header: "Operator", key: "operator", kind: "text", width: 24 },
  { header: "DID", key: "number", kind: "digits", width: 18 },
  { header: "Tag", key: "tag", kind: "text", width: 16 },
  { header: "Notes", key: "notes", kind: "text", width: 40 },
  { header: "Client", key: "client", kind: "text", width: 24 },
  { header: "Account", key: "account", kind: "text", width: 18 },
  { header: "Reseller", key: "reseller", kind: "text", width: 24 },
  { header: "After hold", key: "afterHold", kind: "status", width: 10 },
  { header: "Hold days", key: "holdDays", kind: "integer", width: 9 },
  { header: "Package", key: "package", kind: "text", width: 18 },
  { header: "Created (UTC)", key: "created", kind: "time", width: 19 },
];

/** dids-2026-11-27-0812.csv: the moment of the export, in UTC like every time the app shows. */
export function exportFileName(format: ExportFormat, at: Date): string {
  const iso = at.toISOString();
  return `dids-${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}.${format}`;
}

/**
 * SQL: free text as a CSV cell. What a spreadsheet would read as a formula, or as its
 * start (OWASP's list: =, +, -, @, tab, carriage return), gets a leading single quote,
 * which makes the spreadsheet show it as text; text that already starts with quotes
 * before such a character gets one more, so the rule can be undone exactly: an import
 * removes one leading quote from a value matching /^'+[=+\-@\t\r]/ and gets back what was
 * stored. Then quoted, as RFC 4180 allows any cell to be, its quotes doubled. NULL stays
 * NULL: an empty cell.
 */
export function csvTextSql(text: Prisma.Sql): Prisma.Sql {
  const neutralised = Prisma.sql`CASE WHEN left(ltrim(${text}, ''''), 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || ${text} ELSE ${text} END`;
  return Prisma.sql`'"' || replace(${neutralised}, '"', '""') || '"'`;
}

function csvCellSql(kind: Kind, value: Prisma.Sql): Prisma.Sql {
  switch (kind) {
    case "text":
      return csvTextSql(value);
    case "status":
      return Prisma.sql`CASE ${value} ${Prisma.join(
        Object.entries(statusLabels).map(([code, label]) => Prisma.sql`WHEN ${code} THEN ${label}`),
        " ",
      )} END`;
    case "integer":
      return Prisma.sql`${value}::text`;
    // Digits and the fixed time format hold no comma, quote or line break.
    case "digits":
    case "time":
      return value;
  }
}

/**
 * SQL: one CSV line (without its line break) as `line`. PostgreSQL writes it, as COPY
 * would: measured on 200,000 rows, lines written in JavaScript from typed columns took
 * about twice as long (mostly reading thirteen fields a row off the wire), and the
 * export's budget is 5 s for a million rows. csv-stringify was slower still: 3.2 to 4.1 s
 * for a million rows on its own.
 */
export function csvLineSql(columns: ExportColumnsSql): Prisma.Sql {
  return Prisma.sql`concat(${Prisma.join(
    exportColumns.map((c) => csvCellSql(c.kind, columns[c.key])),
    ", ',', ",
  )}) AS line`;
}

/**
 * CSV as RFC 4180 has it (commas, CRLF), in UTF-8 with a byte order mark, without which
 * Excel reads "Lumière" as "LumiÃ¨re".
 */
export function csvFile(batches: AsyncIterable<{ line: string }[]>): Readable {
  async function* chunks() {
    yield `\uFEFF${exportColumns.map((c) => c.header).join(",")}\r\n`;
    // A write per batch, not per line: one per row would cost gzip and the socket a call
    // each (measured: a million rows took 21 s through gzip a row at a time, 2 s in chunks).
    for await (const lines of batches) yield `${lines.map((l) => l.line).join("\r\n")}\r\n`;
  }
  return Readable.from(chunks(), { objectMode: false });
}

const xlsxStyles: Record<Kind, Partial<ExcelJS.Style>> = {
  integer: {},
  // "@" is Excel's Text format: a DID stays digits, and a name edited in Excel stays text.
  digits: { numFmt: "@" },
  text: { numFmt: "@" },
  status: {},
  time: { numFmt: "yyyy-mm-dd hh:mm:ss" },
};

function xlsxCell(kind: Kind, value: string | number | null): ExcelJS.CellValue {
  if (value === null) return null;
  if (kind === "status") return statusLabels[value as DidStatus];
  if (kind === "time") return new Date(`${String(value).replace(" ", "T")}Z`);
  // XML turns a raw carriage return into a line feed when the file is read (and exceljs
  // writes no escape for it): line breaks are written as Excel's own, a line feed.
  if (kind === "text") return String(value).replace(/\r\n?/g, "\n");
  // Strings are string cells, never formulas: no quote is needed here, and none is added.
  return value;
}

/** What Node's streams and readable-stream's (which archiver uses) both keep. */
type WithState = Writable & { _writableState?: { needDrain?: boolean } };

/** Resolves once `stream` has room again, or once `output` is gone (nothing will read any more). */
function roomIn(stream: WithState, output: Writable): Promise<void> {
  if (!stream._writableState?.needDrain || output.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      output.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    output.on("close", done);
  });
}

/**
 * The stream exceljs writes a sheet's XML into: the zip's entry for it (exceljs's
 * WorksheetWriter.stream pipes to it). exceljs writes there without heeding write()'s
 * answer, and on one thread the zip gets little time between rows, so that is where the
 * XML piles up: measured, 200,000 rows held 130 MB there until the end. Neither is in
 * exceljs's types, and archiver's stream comes from readable-stream, without Node's
 * writableNeedDrain; without them, only the client would hold the rows back.
 */
function sheetEntry(sheet: ExcelJS.Worksheet): WithState | undefined {
  return (sheet as unknown as { stream?: { pipes?: WithState[] } }).stream?.pipes?.[0];
}

/** One sheet, "DIDs", its header row bold and frozen, written with exceljs's streaming writer. */
export function xlsxFile(batches: AsyncIterable<DidExportRow[]>): Readable {
  const output = new PassThrough();
  const write = async () => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
    const sheet = workbook.addWorksheet("DIDs", { views: [{ state: "frozen", ySplit: 1 }] });
    sheet.columns = exportColumns.map((c) => ({ header: c.header, key: c.key, width: c.width, style: xlsxStyles[c.kind] }));
    sheet.getRow(1).font = { bold: true };
    for await (const rows of batches) {
      for (const row of rows) sheet.addRow(exportColumns.map((c) => xlsxCell(c.kind, row[c.key]))).commit();
      // After each batch, wait for the zip to take the XML, and for the client to take the
      // zip, rather than pile the rows up in memory.
      const entry = sheetEntry(sheet);
      if (entry) await roomIn(entry, output);
      await roomIn(output, output);
      if (output.destroyed) return;
    }
    sheet.commit();
    await workbook.commit();
  };
  write().catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))));
  return output;
}
