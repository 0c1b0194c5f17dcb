// Parsers for the create and edit forms: body -> typed values or errors by field.
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import { didStatuses, notesMaxLength, tagMaxLength, type DidStatus } from "./did-filters.js";
import type { AfterHoldStatus } from "./dids.repo.js";

/** The manual: a new DID is reserved, in stock or archive. The rest come from use. */
export const createStatuses = ["in_stock", "reserved", "archive"] as const satisfies readonly DidStatus[];
export const afterHoldStatuses = ["in_stock", "reserved", "archive"] as const satisfies readonly AfterHoldStatus[];
export const maxHoldDays = 3650;

export interface CreateDidsForm {
  numbersText: string;
  operatorId?: number;
  status?: (typeof createStatuses)[number];
  afterHoldStatus?: AfterHoldStatus;
  tag?: string;
  notes?: string;
  skipExisting: boolean;
}


export function parseCreateDidsForm(body: Record<string, unknown>): { value: CreateDidsForm; errors: FieldErrors } {
  const r = new FieldReader(body);
  const value: CreateDidsForm = {
    numbersText: r.raw("numbers") ?? "",
    operatorId: r.id("operator", "an operator", { required: true }),
    status: r.oneOf("status", "status", createStatuses, "in_stock"),
    afterHoldStatus: r.oneOf("after_hold", "after-hold status", afterHoldStatuses, "in_stock"),
    tag: r.text("tag", "Tag", tagMaxLength),
    notes: r.text("notes", "Notes", notesMaxLength, { multiline: true }),
    skipExisting: r.checkbox("skip_existing"),
  };
  return { value, errors: r.errors };
}

export interface EditDidForm {
  operatorId?: number;
  status?: DidStatus;
  afterHoldStatus?: AfterHoldStatus;
  holdDays?: number;
  tag?: string;
  notes?: string;
}

export function parseEditDidForm(body: Record<string, unknown>): { value: EditDidForm; errors: FieldErrors } {
  const r = new FieldReader(body);
  const value: EditDidForm = {
    operatorId: r.id("operator", "an operator", { required: true }),
    status: r.oneOf("status", "status", didStatuses),
    afterHoldStatus: r.oneOf("after_hold", "after-hold status", afterHoldStatuses, "in_stock"),
    holdDays: r.integer("hold_days", "Hold days", 0, maxHoldDays, 0),
    tag: r.text("tag", "Tag", tagMaxLength),
    notes: r.text("notes", "Notes", notesMaxLength, { multiline: true }),
  };
  return { value, errors: r.errors };
}
