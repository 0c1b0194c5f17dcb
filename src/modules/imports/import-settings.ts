// What an import needs to know besides its file: how to read it (delimiter, sheet, header
// row), what each column means, and the values for columns the file lacks. Parsed here
// from the upload and mapping forms into typed settings; stored as JSON on the import.
import type { Parsed } from "../../shared/commands.js";
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import { notesMaxLength, tagMaxLength } from "../dids/did-filters.js";
import { afterHoldStatuses, createStatuses, maxHoldDays, type CreateStatus } from "../dids/did-forms.js";
import type { AfterHoldStatus } from "../dids/dids.repo.js";
import { importFields, type ImportField } from "./import-columns.js";
import type { CsvDelimiter, ImportFileInfo } from "./import-files.js";

export const csvDelimiters = [",", ";", "\t"] as const satisfies readonly CsvDelimiter[];
export const delimiterLabels: Record<CsvDelimiter, string> = { ",": "Comma ( , )", ";": "Semicolon ( ; )", "\t": "Tab" };
/** In forms the tab travels as a word: a bare tab in a URL or a select's value is easy to lose. */
const delimiterCodes: Record<string, CsvDelimiter> = { comma: ",", semicolon: ";", tab: "\t" };
export const delimiterCode = (delimiter: CsvDelimiter) => Object.entries(delimiterCodes).find(([, d]) => d === delimiter)![0];

export const fieldLabels: Record<ImportField, string> = {
  did: "DID",
  operator: "Operator (by name)",
  status: "Status",
  after_hold: "After hold",
  hold_days: "Hold days",
  tag: "Tag",
  notes: "Notes",
  ignore: "Ignore",
};

/** Values for the columns a file lacks. */
export interface ImportDefaults {
  operatorId?: number;
  status: CreateStatus;
  afterHold: AfterHoldStatus;
  holdDays: number;
  tag?: string;
  notes?: string;
}

export interface ImportSettings {
  file: ImportFileInfo;
  defaults: ImportDefaults;
  /** The first row names the columns. */
  headerRow: boolean;
  /** Workbooks: the sheet to read (the first when unset). */
  sheet?: string;
  /** CSV: the delimiter (sniffed, or chosen on the mapping step). */
  delimiter?: CsvDelimiter;
  /** One meaning per column, once the columns are mapped. */
  mapping?: ImportField[];
  /** Operators named in the file that do not exist are created under this reseller. */
  createOperatorsUnder?: number;
}

/** The upload form's fields (the file itself is read by the multipart parser). */
export interface UploadForm {
  defaults: Partial<ImportDefaults>;
  headerRow: boolean;
}

export function parseUploadForm(body: Record<string, unknown>): Parsed<UploadForm & { defaults: ImportDefaults }, UploadForm> {
  const r = new FieldReader(body);
  const defaults: Partial<ImportDefaults> = {
    operatorId: r.id("operator", "an operator"),
    status: r.oneOf("status", "status", createStatuses, "in_stock"),
    afterHold: r.oneOf("after_hold", "after-hold status", afterHoldStatuses, "in_stock"),
    holdDays: r.integer("hold_days", "Hold days", 0, maxHoldDays, 0),
    tag: r.text("tag", "Tag", tagMaxLength),
    notes: r.text("notes", "Notes", notesMaxLength, { multiline: true }),
  };
  const form: UploadForm = { defaults, headerRow: r.checkbox("header") };
  const { status, afterHold, holdDays } = defaults;
  if (!r.ok || status === undefined || afterHold === undefined || holdDays === undefined) return { ok: false, form, errors: r.errors };
  return { ok: true, command: { ...form, defaults: { ...defaults, status, afterHold, holdDays } } };
}

/** The mapping step as posted: how to read the file, and each column's meaning. */
export interface MappingForm {
  headerRow: boolean;
  sheet?: string;
  delimiter?: CsvDelimiter;
  mapping: (ImportField | undefined)[];
  createOperatorsUnder?: number;
}

/** Most columns a mapping may name: past this, a posted form is not one of ours. */
export const maxColumns = 200;

/**
 * Reads the mapping form. `columns` is how many columns the preview showed; a column
 * field outside them, an unknown meaning, two DID columns or none are refused.
 */
export function parseMappingForm(body: Record<string, unknown>, settings: ImportSettings, columns: number): { form: MappingForm; errors: FieldErrors } {
  const r = new FieldReader(body);
  const form: MappingForm = { headerRow: r.checkbox("header"), mapping: [] };
  if (settings.file.kind === "csv") {
    const code = r.oneOf("delimiter", "delimiter", Object.keys(delimiterCodes), delimiterCode(settings.delimiter ?? settings.file.delimiter ?? ","));
    form.delimiter = code === undefined ? undefined : delimiterCodes[code];
  } else {
    form.sheet = r.oneOf("sheet", "sheet", settings.file.sheets ?? [], settings.sheet ?? settings.file.sheets?.[0]);
  }
  for (const key of Object.keys(body)) {
    const match = /^col_(\d{1,4})$/.exec(key);
    if (key.startsWith("col_") && (!match || Number(match[1]) >= Math.min(columns, maxColumns))) r.fail("mapping", `The form names a column (${key}) the file does not have. Reload the page and map the columns again.`);
  }
  for (let column = 0; column < Math.min(columns, maxColumns); column++) {
    form.mapping.push(r.oneOf(`col_${column}`, `meaning for column ${column + 1}`, importFields, "ignore"));
  }
  // A bad meaning is a problem of the mapping as a whole: the page shows it above the table.
  for (const key of Object.keys(r.errors)) {
    if (!key.startsWith("col_")) continue;
    r.errors.mapping ??= r.errors[key]!;
    delete r.errors[key];
  }
  const didColumns = form.mapping.filter((field) => field === "did").length;
  if (didColumns === 0) r.fail("mapping", "Choose the column that holds the DIDs.");
  for (const field of importFields) {
    if (field === "ignore") continue;
    const count = form.mapping.filter((f) => f === field).length;
    if (count > 1) r.fail("mapping", `${count} columns are marked “${fieldLabels[field]}”: choose one.`);
  }
  form.createOperatorsUnder = r.id("create_operators_under", "a reseller");
  return { form, errors: r.errors };
}
