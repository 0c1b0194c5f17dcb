// The client and account forms, read into typed commands (what they mean to the database,
// a name taken or a reseller out of scope, is the service's to check).
import type { Parsed } from "../../shared/commands.js";
import { FieldReader } from "../../shared/field-errors.js";
import { accountNameMaxLength, clientNameMaxLength, clientNotesMaxLength } from "./client-filters.js";

/** The first account's name when the create form leaves it empty. */
export const defaultAccountName = "Main";

export interface CreateClientCommand {
  name: string;
  resellerId: number;
  notes: string | null;
  accountName: string;
}

export interface EditClientCommand {
  name: string;
  notes: string | null;
}

export interface AccountCommand {
  name: string;
}

/** A form as typed, to show it again with its errors. */
export interface ClientForm {
  name?: string;
  resellerId?: number;
  notes?: string;
  accountName?: string;
}

export interface AccountForm {
  name?: string;
}

const readName = (r: FieldReader) => r.text("name", "Name", clientNameMaxLength, { required: true });
const readNotes = (r: FieldReader) => r.text("notes", "Notes", clientNotesMaxLength, { multiline: true });

export function parseCreateClientForm(body: Record<string, unknown>): Parsed<CreateClientCommand, ClientForm> {
  const r = new FieldReader(body);
  const name = readName(r);
  const resellerId = r.id("reseller", "a reseller", { required: true });
  const notes = readNotes(r);
  const accountName = r.text("account", "The first account's name", accountNameMaxLength);
  if (name === undefined || resellerId === undefined || !r.ok) return { ok: false, form: { name, resellerId, notes, accountName }, errors: r.errors };
  return { ok: true, command: { name, resellerId, notes: notes ?? null, accountName: accountName ?? defaultAccountName } };
}

export function parseEditClientForm(body: Record<string, unknown>): Parsed<EditClientCommand, ClientForm> {
  const r = new FieldReader(body);
  const name = readName(r);
  const notes = readNotes(r);
  if (name === undefined || !r.ok) return { ok: false, form: { name, notes }, errors: r.errors };
  return { ok: true, command: { name, notes: notes ?? null } };
}

export function parseAccountForm(body: Record<string, unknown>): Parsed<AccountCommand, AccountForm> {
  const r = new FieldReader(body);
  const name = r.text("name", "Name", accountNameMaxLength, { required: true });
  if (name === undefined || !r.ok) return { ok: false, form: { name }, errors: r.errors };
  return { ok: true, command: { name } };
}
