// The new-operator form, read into a typed command (what it means to the database is the
// service's to check).
import type { Parsed } from "../../shared/commands.js";
import { FieldReader } from "../../shared/field-errors.js";
import { operatorNameMaxLength } from "./operator-filters.js";

export interface CreateOperatorCommand {
  name: string;
  resellerId: number;
}

/** The form as typed, to show it again with its errors. */
export interface OperatorForm {
  name?: string;
  resellerId?: number;
}

export function parseCreateOperatorForm(body: Record<string, unknown>): Parsed<CreateOperatorCommand, OperatorForm> {
  const r = new FieldReader(body);
  const name = r.text("name", "Name", operatorNameMaxLength, { required: true });
  const resellerId = r.id("reseller", "a reseller", { required: true });
  if (name === undefined || resellerId === undefined || !r.ok) return { ok: false, form: { name, resellerId }, errors: r.errors };
  return { ok: true, command: { name, resellerId } };
}
