// The types and the error shared by the import file readers (CSV, .xlsx, .xls).
// import-files.ts re-exports them: the import flow imports from there.

export type ImportFileKind = "csv" | "xlsx" | "xls";
export type CsvDelimiter = "," | ";" | "\t";
export type TextEncoding = "utf-8" | "windows-1252";

export interface ImportFileInfo {
  kind: ImportFileKind;
  /** CSV only: detected from the first megabyte. */
  encoding?: TextEncoding;
  /** CSV only: sniffed from the first line (the most frequent of , ; and tab outside quotes). */
  delimiter?: CsvDelimiter;
  /** Workbooks: every sheet's name, in the workbook's order. */
  sheets?: string[];
}

/** A bad file. The message is for the person who uploaded it: what is wrong and what to do. */
export class ImportFileError extends Error {
  override name = "ImportFileError";
}

export interface ReadOptions {
  delimiter?: CsvDelimiter;
  /** Overrides the detected encoding; a forced UTF-8 never falls back to Windows-1252. */
  encoding?: TextEncoding;
  /** A sheet's name; the first sheet when not given. */
  sheet?: string;
  /** Stop after this many non-empty rows, the header row included. */
  limit?: number;
}

export interface ImportRow {
  /** 1-based, as the user sees it: the sheet's row number, or the CSV record's number. */
  row: number;
  /** Cell texts, trailing blank cells removed; never empty. */
  cells: string[];
  /**
   * Workbooks: the columns (1-based) whose number had more than 15 digits, so its last
   * digits are zeros, not what was typed. A DID there must be refused, whatever the
   * (capped) warnings say.
   */
  lostDigits?: number[];
}

/** What a warning is about, so the flow can show some only for some columns (numbers in the DID column). */
export type ImportWarningCode =
  | "number"
  | "zero-padded-number"
  | "long-number"
  | "date"
  | "formula-without-result"
  | "error-value"
  | "encoding"
  | "extra-cells";

export interface ImportWarning {
  /** 1-based; 0 when the warning sums up several rows. */
  row: number;
  /** 1-based (A = 1); 0 when the warning is about the whole row or file. */
  column: number;
  code: ImportWarningCode;
  message: string;
}
