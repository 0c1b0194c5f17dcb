// .xlsx workbooks, read with exceljs's streaming parsers, never its full reader (which
// ran out of memory on one merged range over a whole sheet).
//
// The zip is opened with yauzl rather than handed to exceljs's WorkbookReader whole:
// - the central directory is checked first (entry count, declared sizes, ratios), and
//   yauzl stops any entry that inflates past its declared size, so a zip bomb is refused
//   before or while it inflates, whatever its headers claim;
// - exceljs's own loop would inflate every sheet, and write each one that comes before
//   sharedStrings.xml (Excel's order) to a temporary file first; here only the parts
//   needed and the chosen sheet are inflated, straight into the parser.
// The parts are parsed by the same WorkbookReader methods its own loop calls. They are
// internal to exceljs (pinned in package.json): test/unit/import-files.test.ts covers
// each one through real workbooks.
import { posix } from "node:path";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import yauzl from "yauzl";
import { booleanCellText, CellWarnings, dateCellText, errorCellText, formulaWithoutResult, numberCellText, type CellText } from "./import-cells.js";
import { ImportFileError, type ImportRow } from "./import-file-types.js";

/** Limits a real workbook stays far below: 1,048,576 rows of a few columns are some 250 MB of sheet XML. */
export const xlsxLimits = {
  entries: 10_000,
  /** A sheet streams through the parser. */
  sheetBytes: 512 * 2 ** 20,
  /** Any other part: the ones read (shared strings, styles) are held in memory. */
  partBytes: 128 * 2 ** 20,
  totalBytes: 1024 * 2 ** 20,
  /** Sheet XML compresses some 10 to 30 times; a bomb, a thousand. Small parts may do what they like. */
  ratio: 200,
  ratioFromBytes: 2 ** 20,
};

const damaged = "This workbook could not be read: it may be damaged. Open it in Excel or LibreOffice, save it again as .xlsx, and upload it again.";
const notAWorkbook = "This file is a zip archive but not an Excel workbook. Open it in Excel or LibreOffice and save it as .xlsx.";
const tooBig = "This workbook is too large to import, or built to overflow memory when unpacked: it was not read. Split it into smaller files, or save it as CSV.";

const workbookPath = "xl/workbook.xml";

/** The exceljs internals used here: WorkbookReader's parsers for each part, and what they fill in. */
interface WorkbookParts {
  model?: { sheets?: { name: string; id: number; rId: string }[] };
  workbookRels?: { Id: string; Target: string }[];
  _parseWorkbook(stream: Readable): Promise<void>;
  _parseRels(stream: Readable): Promise<void>;
  _parseStyles(stream: Readable): Promise<void>;
  _parseSharedStrings(stream: Readable): AsyncGenerator<unknown>;
  _parseWorksheet(stream: Readable, sheetNo: number): Generator<{ value: { parse(): AsyncIterable<{ eventType: string; value: unknown }[]> } }>;
}

function newWorkbookParts(path: string): WorkbookParts {
  // Styles are cached for the number formats (dates, zero padding); hyperlinks are ignored, so a link cell reads as its text.
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { worksheets: "emit", sharedStrings: "cache", styles: "cache", hyperlinks: "ignore", entries: "ignore" });
  return reader as unknown as WorkbookParts;
}

interface CheckedZip {
  zip: yauzl.ZipFile;
  entries: Map<string, yauzl.Entry>;
}

/** Opens the zip and checks its central directory before anything is inflated. */
async function openCheckedZip(path: string): Promise<CheckedZip> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { autoClose: false });
  } catch {
    throw new ImportFileError(damaged);
  }
  const entries = new Map<string, yauzl.Entry>();
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      total += entry.uncompressedSize;
      if (entries.size >= xlsxLimits.entries || total > xlsxLimits.totalBytes || !entrySizeAllowed(entry)) throw new ImportFileError(tooBig);
      entries.set(entry.fileName, entry);
    }
  } catch (error) {
    zip.close();
    throw error instanceof ImportFileError ? error : new ImportFileError(damaged);
  }
  return { zip, entries };
}

function entrySizeAllowed(entry: yauzl.Entry): boolean {
  const max = entry.fileName.startsWith("xl/worksheets/") ? xlsxLimits.sheetBytes : xlsxLimits.partBytes;
  if (entry.uncompressedSize > max) return false;
  return entry.uncompressedSize < xlsxLimits.ratioFromBytes || entry.uncompressedSize <= entry.compressedSize * xlsxLimits.ratio;
}

/** Runs one of exceljs's part parsers on an entry's inflated bytes; false when the entry is missing. */
async function parsePart(checked: CheckedZip, path: string, parse: (stream: Readable) => Promise<unknown>): Promise<boolean> {
  const entry = checked.entries.get(path);
  if (!entry) return false;
  const stream = await checked.zip.openReadStreamPromise(entry);
  try {
    await parse(utf8Text(stream));
  } finally {
    stream.destroy();
  }
  return true;
}

/**
 * A part's XML as text, decoded across chunk boundaries. exceljs decodes each chunk on its
 * own, which breaks a character whose bytes fall into two chunks ("Télécom" read as
 * "T��lécom" now and then); given strings, it uses them as they are.
 */
function utf8Text(stream: Readable): Readable {
  async function* decoded() {
    const decoder = new TextDecoder("utf-8");
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = decoder.decode(chunk, { stream: true });
      if (text !== "") yield text;
    }
    const rest = decoder.decode();
    if (rest !== "") yield rest;
  }
  return Readable.from(decoded());
}

/** yauzl's and the XML parser's errors mean a damaged or hostile file; ours go on as they are. */
function readError(error: unknown): ImportFileError {
  if (error instanceof ImportFileError) return error;
  // yauzl's own check: an entry inflates to more than its declared size.
  if (error instanceof Error && error.message.startsWith("too many bytes in the stream")) return new ImportFileError(tooBig);
  return new ImportFileError(damaged);
}

/** The sheets' names, in the workbook's order. */
export async function inspectXlsx(path: string): Promise<string[]> {
  const checked = await openCheckedZip(path);
  try {
    const parts = newWorkbookParts(path);
    if (!(await parsePart(checked, workbookPath, (s) => parts._parseWorkbook(s)))) throw new ImportFileError(notAWorkbook);
    const names = (parts.model?.sheets ?? []).map((sheet) => sheet.name);
    if (names.length === 0) throw new ImportFileError(damaged);
    return names;
  } catch (error) {
    throw readError(error);
  } finally {
    checked.zip.close();
  }
}

/** One sheet's rows (the first sheet when no name is given), blank ones included, in batches. */
export async function* readXlsxRows(path: string, sheetName: string | undefined, warnings: CellWarnings): AsyncGenerator<ImportRow[]> {
  const checked = await openCheckedZip(path);
  let sheetStream: Readable | undefined;
  try {
    const parts = newWorkbookParts(path);
    if (!(await parsePart(checked, workbookPath, (s) => parts._parseWorkbook(s)))) throw new ImportFileError(notAWorkbook);
    await parsePart(checked, "xl/_rels/workbook.xml.rels", (s) => parts._parseRels(s));
    await parsePart(checked, "xl/styles.xml", (s) => parts._parseStyles(s));
    await parsePart(checked, "xl/sharedStrings.xml", async (s) => {
      // In "cache" mode it fills the reader's list and yields nothing.
      for await (const _ of parts._parseSharedStrings(s));
    });
    const entry = checked.entries.get(sheetPath(parts, sheetName));
    if (!entry) throw new ImportFileError(damaged);
    sheetStream = await checked.zip.openReadStreamPromise(entry);
    const worksheet = [...parts._parseWorksheet(utf8Text(sheetStream), 0)][0]?.value;
    if (!worksheet) throw new ImportFileError(damaged);
    // parse() gives the rows of each chunk of XML together: one await per chunk, not per row.
    for await (const events of worksheet.parse()) {
      const rows = events.filter((event) => event.eventType === "row").map((event) => event.value as ExcelJS.Row);
      if (rows.length > 0) yield rows.map((row) => ({ row: row.number, ...rowCells(row, warnings) }));
    }
  } catch (error) {
    throw readError(error);
  } finally {
    sheetStream?.destroy();
    checked.zip.close();
  }
}

/** The zip path of a sheet, found by name through the workbook's relationships. */
function sheetPath(parts: WorkbookParts, sheetName: string | undefined): string {
  const sheets = parts.model?.sheets ?? [];
  const sheet = sheetName === undefined ? sheets[0] : sheets.find((s) => s.name === sheetName);
  if (!sheet) {
    throw new ImportFileError(sheetName === undefined ? damaged : `This workbook has no sheet named “${sheetName}”.`);
  }
  const target = parts.workbookRels?.find((rel) => rel.Id === sheet.rId)?.Target;
  if (target === undefined) throw new ImportFileError(damaged);
  return target.startsWith("/") ? target.slice(1) : posix.normalize(posix.join("xl", target));
}

function rowCells(row: ExcelJS.Row, warnings: CellWarnings): { cells: string[]; lostDigits?: number[] } {
  const cells: string[] = [];
  const lostDigits: number[] = [];
  row.eachCell((cell, column) => {
    // cell.value drops a formula's falsy result (0, "", the NaN of an error); cell.result keeps it.
    const value = cell.type === ExcelJS.ValueType.Formula ? { formula: cell.formula, result: cell.result } : cell.value;
    const { text, warning } = cellText(value, cell.numFmt);
    while (cells.length < column - 1) cells.push("");
    cells.push(text);
    if (warning) warnings.add(row.number, column, warning.code, warning.message);
    if (warning?.code === "long-number") lostDigits.push(column);
  });
  return lostDigits.length > 0 ? { cells, lostDigits } : { cells };
}

/** One cell's value as the streaming reader gives it. A merged range's other cells come as empty ones. */
export function cellText(value: ExcelJS.CellValue, numberFormat: string | undefined): CellText {
  if (value === null || value === undefined) return { text: "" };
  if (typeof value === "string") return { text: value };
  if (typeof value === "number") return numberCellText(value, numberFormat);
  if (typeof value === "boolean") return booleanCellText(value);
  if (value instanceof Date) return dateCellText(value);
  if ("error" in value) return errorCellText(value.error);
  if ("richText" in value) return { text: value.richText.map((run) => run.text).join("") };
  // Only with hyperlinks: "cache", which newWorkbookParts does not ask for; a link cell then reads as its text.
  if ("hyperlink" in value) return { text: value.text };
  // A formula (or a shared formula's copy, which exceljs gives as a plain object): the
  // result saved by the program that wrote the file; never evaluated here.
  const result = value.result;
  if (result === undefined) return formulaWithoutResult();
  // The streaming reader reads an error result (t="e") as a number: NaN.
  if (typeof result === "number" && Number.isNaN(result)) return errorCellText(undefined);
  return cellText(result, numberFormat);
}
