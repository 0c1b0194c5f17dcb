// The new-reseller form, read into a typed command.
import type { Parsed } from "../../shared/commands.js";
import { FieldReader } from "../../shared/field-errors.js";

export const resellerNameMaxLength = 100;

export interface CreateResellerCommand {
  name: string;
}

export function parseCreateResellerForm(body: Record<string, unknown>): Parsed<CreateResellerCommand, { name?: string }> {
  const r = new FieldReader(body);
  const name = r.text("name", "Name", resellerNameMaxLength, { required: true });
  if (name === undefined || !r.ok) return { ok: false, form: { name }, errors: r.errors };
  return { ok: true, command: { name } };
}
