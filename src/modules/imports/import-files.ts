// The file-reading layer of the DID import: what kind of file an upload is, and its rows
// as text, one at a time. The upload -> map -> check -> commit flow builds on these two
// functions; the readers for each kind live next to this file.
//
// The kind comes from the content (a zip is an .xlsx, an OLE2 container an .xls, anything
// else must be text), so a workbook saved under the wrong extension still reads; a name
// that promises a workbook over content that is not one gets a message that says so.
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { inspectText, readCsvRows } from "./csv-file.js";
import { CellWarnings } from "./import-cells.js";
import { ImportFileError, type ImportFileInfo, type ImportRow, type ImportWarning, type ReadOptions } from "./import-file-types.js";
import { inspectXls, readXlsRows } from "./xls-file.js";
import { inspectXlsx, readXlsxRows } from "./xlsx-file.js";

export {
  ImportFileError,
  type CsvDelimiter,
  type ImportFileInfo,
  type ImportFileKind,
  type ImportRow,
  type ImportWarning,
  type ImportWarningCode,
  type ReadOptions,
  type TextEncoding,
} from "./import-file-types.js";

/** Extensions accepted, and whether the name promises a workbook. */
const extensions: Record<string, "text" | "workbook"> = { ".csv": "text", ".txt": "text", ".tsv": "text", ".xlsx": "workbook", ".xls": "workbook" };
const acceptedNames = "a .csv, .txt, .xlsx or .xls file";

/** Encoding and delimiter are told from this much of a text file. */
const sampleBytes = 2 ** 20;
const zipMagic = Buffer.from("PK\x03\x04", "latin1");
const ole2Magic = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Looks at a stored file (path on disk + the name the user gave it); throws ImportFileError for bad files. */
export async function inspectImportFile(path: string, fileName: string): Promise<ImportFileInfo> {
  const extension = extname(fileName).toLowerCase();
  const promised = extensions[extension];
  if (promised === undefined) {
    const named = extension === "" ? "has no extension" : `is named ${extension}`;
    throw new ImportFileError(`This file ${named}. Upload ${acceptedNames}; from another program, save or export as CSV or .xlsx first.`);
  }
  const head = await readHead(path);
  if (head.length === 0) throw new ImportFileError("The file is empty.");
  if (startsWith(head, zipMagic)) return { kind: "xlsx", sheets: await inspectXlsx(path) };
  if (startsWith(head, ole2Magic)) return { kind: "xls", sheets: await inspectXls(path) };
  if (promised === "workbook") {
    throw new ImportFileError(
      `This file is named ${extension} but is not an Excel workbook: it may be damaged, or another kind of file renamed. Open it in Excel or LibreOffice and save it as .xlsx, or as CSV.`,
    );
  }
  return { kind: "csv", ...inspectText(head) };
}

async function readHead(path: string): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(sampleBytes);
    const { bytesRead } = await file.read(buffer, 0, sampleBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

const startsWith = (head: Buffer, magic: Buffer): boolean => head.subarray(0, magic.length).equals(magic);

/**
 * Streams the rows (header included, empty rows skipped but row numbers kept, trailing
 * blank cells trimmed). Warnings are pushed to `warnings`: up to 100 of each kind in each
 * column, then one that counts the rest. Throws ImportFileError on broken content.
 */
export async function* readImportRows(path: string, info: ImportFileInfo, options: ReadOptions, warnings: ImportWarning[]): AsyncIterable<ImportRow> {
  const limit = options.limit ?? Infinity;
  if (limit <= 0) return;
  const sink = new CellWarnings(warnings);
  let given = 0;
  try {
    for await (const batch of rowBatches(path, info, options, sink)) {
      for (const { row, cells, lostDigits } of batch) {
        const trimmed = trimTrailingBlanks(cells);
        if (trimmed.length === 0) continue;
        yield lostDigits ? { row, cells: trimmed, lostDigits } : { row, cells: trimmed };
        if (++given >= limit) return;
      }
    }
  } finally {
    sink.finish();
  }
}

/** The readers give rows in batches: one await per batch inside, one per row only here. */
function rowBatches(path: string, info: ImportFileInfo, options: ReadOptions, sink: CellWarnings): AsyncIterable<ImportRow[]> {
  switch (info.kind) {
    case "csv":
      return readCsvRows(path, { delimiter: options.delimiter ?? info.delimiter ?? ",", encoding: options.encoding ?? info.encoding ?? "utf-8", detected: options.encoding === undefined }, sink);
    case "xlsx":
      return readXlsxRows(path, options.sheet, sink);
    case "xls":
      return readXlsRows(path, options.sheet, sink);
  }
}

/** Without the blank cells at the end; empty when every cell is blank. */
function trimTrailingBlanks(cells: string[]): string[] {
  let end = cells.length;
  while (end > 0 && cells[end - 1]!.trim() === "") end--;
  return end === cells.length ? cells : cells.slice(0, end);
}
