// One row of an import file -> the staging rows of the dry run: one per number (a range
// cell gives several), each with the values to create it with, or the reason it cannot
// be. What needs the database (repeats, existing numbers, operators) is decided later, in
// SQL over all the rows at once (imports.repo.ts).
import { restoreNeutralisedCell } from "../../shared/csv-cells.js";
import { clip } from "../../shared/field-errors.js";
import { notesMaxLength, tagMaxLength, statusLabels, type DidStatus } from "../dids/did-filters.js";
import { afterHoldStatuses, createStatuses, maxHoldDays } from "../dids/did-forms.js";
import { parseDidEntry } from "../dids/did-numbers.js";
import type { ImportField } from "./import-columns.js";
import type { ImportRow } from "./import-files.js";
import type { ImportDefaults } from "./import-settings.js";

/** Why a row is not imported, in the order the report lists them. */
export const rejectReasons = [
  "invalid_number",
  "duplicate_in_file",
  "exists",
  "unknown_operator",
  "ambiguous_operator",
  "out_of_scope",
  "status_not_allowed",
  "invalid_value",
] as const;
export type RejectReason = (typeof rejectReasons)[number];

export const reasonLabels: Record<RejectReason, string> = {
  invalid_number: "Invalid number",
  duplicate_in_file: "Duplicate within the file",
  exists: "Already in the inventory",
  unknown_operator: "Unknown operator",
  ambiguous_operator: "Operator name shared by several resellers",
  out_of_scope: "Out of your scope",
  status_not_allowed: "Status not allowed",
  invalid_value: "Invalid value (after hold, hold days, tag or notes)",
};

/** A range in one cell gives at most this many numbers: past it, a typo is more likely than a block. */
export const maxRangeNumbers = 100_000;

export interface StagingRow {
  row: number;
  /** The DID's digits, or the cell as written when it is not a number. */
  number: string | null;
  operatorName: string | null;
  /** The default operator, for rows whose file names none. */
  operatorId: number | null;
  status: string;
  afterHold: string;
  holdDays: string;
  tag: string | null;
  notes: string | null;
  reason: RejectReason | null;
  detail: string | null;
}

/** Status words as people write them: codes, labels, and the usual variants. */
const statusWords: Record<string, DidStatus> = {
  instock: "in_stock",
  stock: "in_stock",
  available: "in_stock",
  free: "in_stock",
  reserved: "reserved",
  archive: "archive",
  archived: "archive",
  active: "active",
  blocked: "blocked",
  hold: "hold",
  onhold: "hold",
};

export function readStatus(text: string): DidStatus | undefined {
  return statusWords[text.toLowerCase().replace(/[^a-z]/g, "")];
}

const controlCharacters = /[\u0000-\u001f\u007f]/;
const controlCharactersButLines = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

type Cells = Partial<Record<ImportField, string>>;

/** What an operator's name in the file stands for, among the operators the import may use. */
export type OperatorMatch = { id: number } | { reason: RejectReason; detail: string } | { create: true };
export type OperatorLookup = (name: string) => OperatorMatch;

/** What every row of one import is read with. */
export interface RowReading {
  mapping: readonly ImportField[];
  defaults: ImportDefaults;
  operatorByName: OperatorLookup;
  /** CSV: free text that starts with a quote before = + - @ was neutralised against formulas (as the export writes it): one quote comes off. */
  restoreQuotes: boolean;
}

const freeText: ReadonlySet<ImportField> = new Set(["operator", "tag", "notes"]);

/** The cells of a row by meaning; a short row's missing cells are empty. */
function cellsByField(cells: string[], reading: RowReading): Cells {
  const byField: Cells = {};
  const { mapping } = reading;
  for (let column = 0; column < mapping.length; column++) {
    const field = mapping[column]!;
    if (field === "ignore") continue;
    const text = (cells[column] ?? "").trim();
    byField[field] = reading.restoreQuotes && freeText.has(field) ? restoreNeutralisedCell(text) : text;
  }
  return byField;
}

type RowValues = Omit<StagingRow, "row" | "number">;

/** The values of a row other than its number, with the first thing wrong with them. */
function rowValues(cells: Cells, reading: RowReading): RowValues {
  const { defaults } = reading;
  const values: RowValues = {
    operatorName: cells.operator || null,
    operatorId: cells.operator ? null : (defaults.operatorId ?? null),
    status: defaults.status,
    afterHold: defaults.afterHold,
    holdDays: String(defaults.holdDays),
    tag: cells.tag || defaults.tag || null,
    notes: cells.notes || defaults.notes || null,
    reason: null,
    detail: null,
  };
  const reject = (reason: RejectReason, detail: string) => {
    values.reason = reason;
    values.detail = detail;
    return values;
  };
  if (cells.status) {
    const status = readStatus(cells.status);
    values.status = cells.status;
    if (status === undefined) return reject("status_not_allowed", `“${clip(cells.status)}” is not a status.`);
    if (!(createStatuses as readonly string[]).includes(status)) {
      return reject("status_not_allowed", `A DID is imported in stock, reserved or archive; “${statusLabels[status]}” comes from assigning it to a client.`);
    }
    values.status = status;
  }
  if (cells.after_hold) {
    const afterHold = readStatus(cells.after_hold);
    values.afterHold = cells.after_hold;
    if (afterHold === undefined || !(afterHoldStatuses as readonly string[]).includes(afterHold)) {
      return reject("invalid_value", `After hold “${clip(cells.after_hold)}” is not one of in stock, reserved, archive.`);
    }
    values.afterHold = afterHold;
  }
  if (cells.hold_days) {
    values.holdDays = cells.hold_days;
    const days = /^\d{1,5}$/.test(cells.hold_days) ? Number(cells.hold_days) : NaN;
    if (!(days <= maxHoldDays)) return reject("invalid_value", `Hold days “${clip(cells.hold_days)}” is not a whole number from 0 to ${maxHoldDays}.`);
    values.holdDays = String(days);
  }
  if (values.tag !== null && ([...values.tag].length > tagMaxLength || controlCharacters.test(values.tag))) {
    return reject("invalid_value", `The tag has more than ${tagMaxLength} characters or a control character.`);
  }
  if (values.notes !== null && ([...values.notes].length > notesMaxLength || controlCharactersButLines.test(values.notes))) {
    return reject("invalid_value", `The notes have more than ${notesMaxLength.toLocaleString("en-US")} characters or a control character.`);
  }
  if (values.operatorName === null) {
    if (values.operatorId === null) return reject("unknown_operator", "The row names no operator: map an Operator column or choose a default operator.");
    return values;
  }
  if ([...values.operatorName].length > 100 || controlCharacters.test(values.operatorName)) {
    return reject("unknown_operator", "The operator's name is longer than 100 characters or holds a control character.");
  }
  const match = reading.operatorByName(values.operatorName);
  if ("id" in match) values.operatorId = match.id;
  else if ("reason" in match) return reject(match.reason, match.detail);
  return values;
}

function staged(row: number, number: string | null, v: RowValues, reason = v.reason, detail = v.detail): StagingRow {
  return { row, number, operatorName: v.operatorName, operatorId: v.operatorId, status: v.status, afterHold: v.afterHold, holdDays: v.holdDays, tag: v.tag, notes: v.notes, reason, detail };
}

/**
 * The staging rows of one file row. `numbersLeft` caps what ranges may still add to the
 * import; the caller lowers it by the numbers returned.
 */
export function stagingRows(fileRow: ImportRow, reading: RowReading, numbersLeft: number): StagingRow[] {
  const cells = cellsByField(fileRow.cells, reading);
  const values = rowValues(cells, reading);
  const didCell = cells.did ?? "";
  const invalid = (detail: string) => [staged(fileRow.row, didCell || null, values, "invalid_number", detail)];
  if (didCell === "") return invalid("The DID cell is empty.");
  if (fileRow.lostDigits?.includes(reading.mapping.indexOf("did") + 1)) {
    return invalid("The cell holds a number of more than 15 digits, so the spreadsheet lost its last digits. Format the column as Text and type the number again.");
  }
  const entry = parseDidEntry(didCell);
  if (entry.kind === "problem") return invalid(entry.message);
  if (entry.kind === "number") return [staged(fileRow.row, entry.number, values)];
  const limit = Math.min(maxRangeNumbers, numbersLeft);
  if (entry.count > BigInt(limit)) {
    return invalid(`The range holds ${entry.count.toLocaleString("en-US")} numbers; at most ${limit.toLocaleString("en-US")} can be imported from it.`);
  }
  const rows: StagingRow[] = [];
  const width = entry.low.length;
  for (let n = BigInt(entry.low); n <= BigInt(entry.high); n++) rows.push(staged(fileRow.row, n.toString().padStart(width, "0"), values));
  return rows;
}
