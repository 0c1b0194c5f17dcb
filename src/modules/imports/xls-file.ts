// Legacy .xls workbooks (Excel 97-2003, BIFF in an OLE2 container), read with SheetJS.
// SheetJS reads a whole file into memory, so the file's size is capped first; an .xls
// holds at most 65,536 rows a sheet anyway. Formulas are never evaluated: the file keeps
// each formula's last result, and cellFormula: false skips the formulas themselves.
import { readFile, stat } from "node:fs/promises";
import * as XLSX from "@e965/xlsx";
import { booleanCellText, CellWarnings, dateCellText, errorCellText, numberCellText, type CellText } from "./import-cells.js";
import { ImportFileError, type ImportRow } from "./import-file-types.js";

export const maxXlsBytes = 32 * 2 ** 20;
const batchRows = 1000;

/** The parts of SheetJS's number-format library used here (its typings say `any`). */
const SSF = XLSX.SSF as {
  is_date(format: string): boolean;
  parse_date_code(serial: number, options: { date1904: boolean }): { y: number; m: number; d: number; H: number; M: number; S: number; u: number };
};

const damaged = "This .xls workbook could not be read: it may be damaged. Open it in Excel or LibreOffice, save it as .xlsx, and upload it again.";

async function readWorkbook(path: string, options: XLSX.ParsingOptions): Promise<XLSX.WorkBook> {
  if ((await stat(path)).size > maxXlsBytes) {
    throw new ImportFileError(`This .xls workbook is larger than ${maxXlsBytes / 2 ** 20} MB. Save it as .xlsx or CSV and upload that.`);
  }
  const data = await readFile(path);
  try {
    return XLSX.read(data, { type: "buffer", dense: true, cellFormula: false, cellHTML: false, cellNF: true, cellDates: false, ...options });
  } catch (error) {
    // Excel keeps a password-protected workbook, .xlsx or .xls, in an encrypted OLE2 container.
    if (error instanceof Error && /password|encrypt/i.test(error.message)) {
      throw new ImportFileError("This workbook is protected by a password. Open it in Excel, remove the password, save it, and upload it again.");
    }
    throw new ImportFileError(damaged);
  }
}

/** The sheets' names, in the workbook's order. */
export async function inspectXls(path: string): Promise<string[]> {
  const workbook = await readWorkbook(path, { bookSheets: true });
  if (workbook.SheetNames.length === 0) throw new ImportFileError(damaged);
  return workbook.SheetNames;
}

/** One sheet's rows (the first sheet when no name is given), in batches; rows with no cell are left out. */
export async function* readXlsRows(path: string, sheetName: string | undefined, warnings: CellWarnings): AsyncGenerator<ImportRow[]> {
  // Only the chosen sheet is parsed; SheetNames still lists them all.
  const workbook = await readWorkbook(path, { sheets: sheetName ?? 0 });
  const name = sheetName ?? workbook.SheetNames[0];
  if (name === undefined) throw new ImportFileError(damaged);
  if (!workbook.SheetNames.includes(name)) throw new ImportFileError(`This workbook has no sheet named “${name}”.`);
  const rows = (workbook.Sheets[name] as XLSX.DenseSheet | undefined)?.["!data"] ?? [];
  const date1904 = Boolean(workbook.Workbook?.WBProps?.date1904);
  // In batches, so a caller that stops early has not paid for the rest.
  for (let start = 0; start < rows.length; start += batchRows) {
    const batch: ImportRow[] = [];
    for (let index = start; index < Math.min(start + batchRows, rows.length); index++) {
      const cells = rows[index];
      if (cells) batch.push({ row: index + 1, ...rowTexts(cells, index + 1, date1904, warnings) });
    }
    yield batch;
  }
}

function rowTexts(cells: XLSX.CellObject[], row: number, date1904: boolean, warnings: CellWarnings): { cells: string[]; lostDigits?: number[] } {
  const lostDigits: number[] = [];
  const texts = Array.from(cells, (cell, column) => {
    const { text, warning } = cell ? xlsCellText(cell, date1904) : { text: "" };
    if (warning) warnings.add(row, column + 1, warning.code, warning.message);
    if (warning?.code === "long-number") lostDigits.push(column + 1);
    return text;
  });
  return lostDigits.length > 0 ? { cells: texts, lostDigits } : { cells: texts };
}

/** One cell as SheetJS reads it: `v` the value, `z` its number format, `w` its text as Excel shows it. */
export function xlsCellText(cell: XLSX.CellObject, date1904: boolean): CellText {
  switch (cell.t) {
    case "s":
      return { text: String(cell.v ?? "") };
    case "b":
      return booleanCellText(Boolean(cell.v));
    case "e":
      return errorCellText(cell.w);
    case "n": {
      const value = Number(cell.v);
      const format = typeof cell.z === "string" ? cell.z : undefined;
      if (format !== undefined && SSF.is_date(format)) return dateCellText(serialToDate(value, date1904));
      return numberCellText(value, format);
    }
    default:
      // "z": a blank cell kept for its style; "d" only comes with cellDates, which is off.
      return { text: "" };
  }
}

/** Excel's day number as the wall time it shows, in UTC (SheetJS knows the 1900 leap-year bug). */
function serialToDate(serial: number, date1904: boolean): Date {
  const { y, m, d, H, M, S, u } = SSF.parse_date_code(serial, { date1904 });
  return new Date(Date.UTC(y, m - 1, d, H, M, S + Math.round(u)));
}
