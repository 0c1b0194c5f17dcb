// Turns spreadsheet cell values into the text a person meant to type, and collects the
// warnings about cells that were not text. Shared by the .xlsx and .xls readers.
import type { ImportWarning, ImportWarningCode } from "./import-file-types.js";

/** Excel keeps 15 significant digits of a number: past that, the digits it shows are zeros. */
const excelDigits = 15;
/** A number format of zeros only ("000000000000") pads a number with leading zeros. */
const zeroPaddedFormat = /^0+$/;
/** A column of 100,000 numbers needs a few examples and a count, not 100,000 warnings. */
export const warningsPerColumnAndCode = 100;

export interface CellText {
  text: string;
  warning?: { code: ImportWarningCode; message: string };
}

/**
 * The digits of a number cell, as a DID column needs them: never exponent notation
 * (3.8044E+11 is how a narrow column shows 380440000000), never a decimal ".0". A format of
 * zeros only keeps its padding, as the cell shows it.
 */
export function numberCellText(value: number, numberFormat: string | undefined): CellText {
  if (Number.isInteger(value) && numberFormat !== undefined && zeroPaddedFormat.test(numberFormat)) {
    const text = integerDigits(value).padStart(numberFormat.length, "0");
    return { text, warning: { code: "zero-padded-number", message: `This cell holds a number shown with leading zeros: read as ${text}, as shown. Format the column as Text to be sure.` } };
  }
  if (Number.isInteger(value) && Math.abs(value) >= 10 ** excelDigits) {
    const text = integerDigits(value);
    return {
      text,
      warning: {
        code: "long-number",
        message: `This cell holds a number of more than ${excelDigits} digits: a spreadsheet keeps only ${excelDigits}, so its last digits were lost (read as ${text}). Format the column as Text and type the numbers again.`,
      },
    };
  }
  // Rounded to Excel's 15 digits, so 0.1 + 0.2 reads as 0.3, as Excel shows it.
  const text = Number.isInteger(value) ? integerDigits(value) : String(Number(value.toPrecision(excelDigits)));
  return {
    text,
    warning: { code: "number", message: `This cell holds a number, not text: read as ${text}. Any leading zeros were lost; format the column as Text to keep them.` },
  };
}

/** All digits, without exponent notation; beyond 15 digits, zeros, as Excel shows them. */
function integerDigits(value: number): string {
  // String() writes every digit of an integer below 1e21.
  if (Math.abs(value) < 10 ** excelDigits) return String(value);
  const [mantissa = "", exponent = "0"] = value.toExponential(excelDigits - 1).split("e");
  const sign = value < 0 ? "-" : "";
  return sign + mantissa.replace(/[-.]/g, "").padEnd(Number(exponent) + 1, "0");
}

/** A date cell as text: YYYY-MM-DD, with the time when it has one. `date` holds the cell's wall time in UTC. */
export function dateCellText(date: Date): CellText {
  const iso = date.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19);
  const text = time === "00:00:00" ? day : `${day} ${time.endsWith(":00") ? time.slice(0, 5) : time}`;
  return { text, warning: { code: "date", message: `This cell holds a date: read as ${text}. If it is not meant to be a date, format the column as Text.` } };
}

/** An error value (#N/A, #DIV/0!...); `error` undefined when the file does not say which. */
export function errorCellText(error: string | undefined): CellText {
  const message = error === undefined ? "This cell holds an error value: read as empty." : `This cell holds the error ${error}: read as empty.`;
  return { text: "", warning: { code: "error-value", message } };
}

export function formulaWithoutResult(): CellText {
  return {
    text: "",
    warning: {
      code: "formula-without-result",
      message: "This cell holds a formula whose result was never saved: read as empty. Open the file in Excel or LibreOffice, save it, and upload it again.",
    },
  };
}

export const booleanCellText = (value: boolean): CellText => ({ text: value ? "TRUE" : "FALSE" });

/**
 * Collects warnings into the caller's list: the first ones of each kind in each column,
 * then, when reading ends, one line per column and kind that counts the rest.
 */
export class CellWarnings {
  private readonly counts = new Map<string, { column: number; code: ImportWarningCode; count: number }>();

  constructor(private readonly target: ImportWarning[]) {}

  add(row: number, column: number, code: ImportWarningCode, message: string): void {
    const key = `${column}:${code}`;
    const seen = this.counts.get(key) ?? { column, code, count: 0 };
    this.counts.set(key, seen);
    seen.count++;
    if (seen.count <= warningsPerColumnAndCode) this.target.push({ row, column, code, message });
  }

  /** Adds the "…and N more" lines. */
  finish(): void {
    for (const { column, code, count } of this.counts.values()) {
      const more = count - warningsPerColumnAndCode;
      if (more > 0) {
        this.target.push({ row: 0, column, code, message: `…and ${more.toLocaleString("en-US")} more cells like this in this column.` });
      }
    }
    this.counts.clear();
  }
}
