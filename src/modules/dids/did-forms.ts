// Parsers for the DID forms: a posted body -> a typed command, or the form as typed with
// its errors by field. Services take only commands, so the CLI, imports and the API can
// call them with the same guarantees.
import type { Parsed } from "../../shared/commands.js";
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import { didStatuses, notesMaxLength, tagMaxLength, type DidStatus } from "./did-filters.js";
import { parseSelectionForm, type DidSelection, type SelectionForm } from "./did-selection.js";
import type { AfterHoldStatus } from "./dids.repo.js";

/** The manual: a new DID is reserved, in stock or archive. The rest come from use. */
export const createStatuses = ["in_stock", "reserved", "archive"] as const satisfies readonly DidStatus[];
export type CreateStatus = (typeof createStatuses)[number];
export const afterHoldStatuses = ["in_stock", "reserved", "archive"] as const satisfies readonly AfterHoldStatus[];
export const maxHoldDays = 3650;

/** The create form as typed (shown again with its errors). */
export interface CreateDidsForm {
  numbersText: string;
  operatorId?: number;
  status?: CreateStatus;
  afterHoldStatus?: AfterHoldStatus;
  tag?: string;
  notes?: string;
  skipExisting: boolean;
}

export interface CreateDidsCommand extends CreateDidsForm {
  operatorId: number;
  status: CreateStatus;
  afterHoldStatus: AfterHoldStatus;
}

export function parseCreateDidsForm(body: Record<string, unknown>): Parsed<CreateDidsCommand, CreateDidsForm> {
  const r = new FieldReader(body);
  const form: CreateDidsForm = {
    numbersText: r.raw("numbers") ?? "",
    operatorId: r.id("operator", "an operator", { required: true }),
    status: r.oneOf("status", "status", createStatuses, "in_stock"),
    afterHoldStatus: r.oneOf("after_hold", "after-hold status", afterHoldStatuses, "in_stock"),
    tag: r.text("tag", "Tag", tagMaxLength),
    notes: r.text("notes", "Notes", notesMaxLength, { multiline: true }),
    skipExisting: r.checkbox("skip_existing"),
  };
  const { operatorId, status, afterHoldStatus } = form;
  if (!r.ok || operatorId === undefined || status === undefined || afterHoldStatus === undefined) return { ok: false, form, errors: r.errors };
  return { ok: true, command: { ...form, operatorId, status, afterHoldStatus } };
}

export interface EditDidForm {
  operatorId?: number;
  status?: DidStatus;
  afterHoldStatus?: AfterHoldStatus;
  holdDays?: number;
  tag?: string;
  notes?: string;
}

/** Every editable field of one DID, as it should be after the edit. */
export interface EditDidCommand {
  operatorId: number;
  status: DidStatus;
  afterHoldStatus: AfterHoldStatus;
  holdDays: number;
  tag: string | null;
  notes: string | null;
}

export function parseEditDidForm(body: Record<string, unknown>): Parsed<EditDidCommand, EditDidForm> {
  const r = new FieldReader(body);
  const form: EditDidForm = {
    operatorId: r.id("operator", "an operator", { required: true }),
    status: r.oneOf("status", "status", didStatuses),
    afterHoldStatus: r.oneOf("after_hold", "after-hold status", afterHoldStatuses, "in_stock"),
    holdDays: r.integer("hold_days", "Hold days", 0, maxHoldDays, 0),
    tag: r.text("tag", "Tag", tagMaxLength),
    notes: r.text("notes", "Notes", notesMaxLength, { multiline: true }),
  };
  const { operatorId, status, afterHoldStatus, holdDays } = form;
  if (!r.ok || operatorId === undefined || status === undefined || afterHoldStatus === undefined || holdDays === undefined) {
    return { ok: false, form, errors: r.errors };
  }
  return { ok: true, command: { operatorId, status, afterHoldStatus, holdDays, tag: form.tag ?? null, notes: form.notes ?? null } };
}

export const notesModes = ["set", "append", "clear"] as const;
export type NotesMode = (typeof notesModes)[number];
export const tagModes = ["set", "clear"] as const;

/** What a mass edit changes: only the fields a person ticked are present. */
export interface MassEditChanges {
  status?: DidStatus;
  /** A new tag, or null to clear it. */
  tag?: string | null;
  notes?: { mode: "set" | "append"; text: string } | { mode: "clear" };
  holdDays?: number;
  afterHoldStatus?: AfterHoldStatus;
}

/** The mass-edit form as typed: which boxes are ticked and what is in each field. */
export interface MassEditForm {
  change: { status: boolean; tag: boolean; notes: boolean; holdDays: boolean; afterHold: boolean };
  status?: string;
  tagMode?: string;
  tag?: string;
  notesMode?: string;
  notes?: string;
  holdDays?: string;
  afterHoldStatus?: string;
}

export interface MassEditCommand {
  selection: DidSelection;
  changes: MassEditChanges;
  /** How many DIDs the confirmation showed (absent before the confirmation). */
  expected?: number;
}

/** Reads the number of DIDs a confirmation showed (a tampered value is a field error). */
function readExpected(r: FieldReader): number | undefined {
  return r.integer("expected", "Expected count", 0, 2_147_483_647);
}

/**
 * The mass-edit form: a selection, and for each field a "change it" box and its value.
 * A ticked field needs a value (clearing is a mode of its own); nothing ticked is an error.
 */
export function parseMassEditForm(
  body: Record<string, unknown>,
): { ok: true; command: MassEditCommand; form: MassEditForm; selectionForm: SelectionForm } | { ok: false; form: MassEditForm; selectionForm: SelectionForm; errors: FieldErrors } {
  const selected = parseSelectionForm(body);
  const r = new FieldReader(body);
  const form: MassEditForm = {
    change: {
      status: r.checkbox("change_status"),
      tag: r.checkbox("change_tag"),
      notes: r.checkbox("change_notes"),
      holdDays: r.checkbox("change_hold_days"),
      afterHold: r.checkbox("change_after_hold"),
    },
    status: r.raw("status"),
    tagMode: r.raw("tag_mode"),
    tag: r.raw("tag"),
    notesMode: r.raw("notes_mode"),
    notes: r.raw("notes"),
    holdDays: r.raw("hold_days"),
    afterHoldStatus: r.raw("after_hold"),
  };
  const changes: MassEditChanges = {};
  if (form.change.status) changes.status = r.oneOf("status", "status to set", didStatuses);
  if (form.change.tag) {
    const mode = r.oneOf("tag_mode", "tag change", tagModes, "set");
    if (mode === "clear") changes.tag = null;
    else if (mode === "set") changes.tag = r.text("tag", "Tag", tagMaxLength) ?? r.fail("tag", "Type the tag to set, or choose “Clear the tag”.");
  }
  if (form.change.notes) {
    const mode = r.oneOf("notes_mode", "notes change", notesModes, "set");
    if (mode === "clear") changes.notes = { mode };
    else if (mode) {
      const text = r.text("notes", "Notes", notesMaxLength, { multiline: true });
      if (text === undefined) r.fail("notes", mode === "append" ? "Type the text to append." : "Type the notes to set, or choose “Clear the notes”.");
      else changes.notes = { mode, text };
    }
  }
  if (form.change.holdDays) {
    changes.holdDays = r.integer("hold_days", "Hold days", 0, maxHoldDays) ?? r.fail("hold_days", `Type the hold days to set (0 to ${maxHoldDays.toLocaleString("en-US")}).`);
  }
  if (form.change.afterHold) changes.afterHoldStatus = r.oneOf("after_hold", "after-hold status", afterHoldStatuses);
  if (!Object.values(form.change).some(Boolean)) r.fail("change", "Tick at least one field to change.");
  const expected = readExpected(r);
  const errors = { ...selected.errors, ...r.errors };
  const selection = selected.value.selection;
  if (Object.keys(errors).length > 0 || !selection) return { ok: false, form, selectionForm: selected.value, errors };
  return { ok: true, command: { selection, changes, expected }, form, selectionForm: selected.value };
}

export interface MassDeleteCommand {
  selection: DidSelection;
  expected?: number;
}

export function parseMassDeleteForm(
  body: Record<string, unknown>,
): { ok: true; command: MassDeleteCommand; selectionForm: SelectionForm } | { ok: false; selectionForm: SelectionForm; errors: FieldErrors } {
  const selected = parseSelectionForm(body);
  const r = new FieldReader(body);
  const expected = readExpected(r);
  const errors = { ...selected.errors, ...r.errors };
  const selection = selected.value.selection;
  if (Object.keys(errors).length > 0 || !selection) return { ok: false, selectionForm: selected.value, errors };
  return { ok: true, command: { selection, expected }, selectionForm: selected.value };
}

/** The mass-edit form as hidden fields, carried from the confirmation to "apply". */
export function massEditFields(form: MassEditForm): [string, string][] {
  const fields: [string, string][] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) fields.push([name, value]);
  };
  const ticked: [boolean, [string, string | undefined][]][] = [
    [form.change.status, [["change_status", "1"], ["status", form.status]]],
    [form.change.tag, [["change_tag", "1"], ["tag_mode", form.tagMode], ["tag", form.tag]]],
    [form.change.notes, [["change_notes", "1"], ["notes_mode", form.notesMode], ["notes", form.notes]]],
    [form.change.holdDays, [["change_hold_days", "1"], ["hold_days", form.holdDays]]],
    [form.change.afterHold, [["change_after_hold", "1"], ["after_hold", form.afterHoldStatus]]],
  ];
  for (const [on, pairs] of ticked) if (on) for (const [name, value] of pairs) add(name, value);
  return fields;
}
