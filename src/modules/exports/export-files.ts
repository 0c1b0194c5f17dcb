// The export's files: their columns, how a cell is written, and the CSV and XLSX writers.
// Both take the rows as the cursor hands them over and keep no more than a chunk of them,
// so memory does not grow with the number of rows. A CSV line is written by PostgreSQL,
// from SQL built here (csvLineSql); an XLSX row is written here, from typed columns.
import { PassThrough, Readable, type Writable } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";
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
 * Rows per chunk written: one write per row would cost gzip and the socket a call each
 * (measured: 1,000,000 rows took 21 s through gzip one row at a time, 2 s in chunks).
 */
const rowsPerChunk = 500;

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
export function csvFile(lines: AsyncIterable<{ line: string }>): Readable {
  async function* chunks() {
    let chunk = `\uFEFF${exportColumns.map((c) => c.header).join(",")}\r\n`;
    let count = 0;
    for await (const { line } of lines) {
      chunk += `${line}\r\n`;
      if (++count === rowsPerChunk) {
        yield chunk;
        chunk = "";
        count = 0;
      }
    }
    if (chunk !== "") yield chunk;
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

/** Resolves once the stream wants more, or is gone. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** One sheet, "DIDs", its header row bold and frozen, written with exceljs's streaming writer. */
export function xlsxFile(rows: AsyncIterable<DidExportRow>): Readable {
  const output = new PassThrough();
  const write = async () => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
    const sheet = workbook.addWorksheet("DIDs", { views: [{ state: "frozen", ySplit: 1 }] });
    sheet.columns = exportColumns.map((c) => ({ header: c.header, key: c.key, width: c.width, style: xlsxStyles[c.kind] }));
    sheet.getRow(1).font = { bold: true };
    let count = 0;
    for await (const row of rows) {
      sheet.addRow(exportColumns.map((c) => xlsxCell(c.kind, row[c.key]))).commit();
      // A committed row goes into the zip at once, whether or not the client keeps up. Every
      // chunk, let the zip compress and send what it has, and wait for a client that is
      // slower than the rows rather than pile them up in memory.
      if (++count % rowsPerChunk === 0) {
        await nextTurn();
        if (output.writableNeedDrain) await drained(output);
      }
      if (output.destroyed) return;
    }
    sheet.commit();
    await workbook.commit();
  };
  write().catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))));
  return output;
}
