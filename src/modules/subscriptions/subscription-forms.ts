// The add-a-subscription form, read into a typed command.
import type { Parsed } from "../../shared/commands.js";
import { FieldReader } from "../../shared/field-errors.js";

export interface AddSubscriptionCommand {
  clientId: number;
  packageId: number;
  /** YYYY-MM-DD */
  startDate: string;
  /** The last day it is in force, or null for no end. */
  endDate: string | null;
}

export interface SubscriptionForm {
  packageId?: number;
  startDate?: string;
  endDate?: string;
}

export function parseAddSubscriptionForm(clientId: number, body: Record<string, unknown>, today: string): Parsed<AddSubscriptionCommand, SubscriptionForm> {
  const r = new FieldReader(body);
  const packageId = r.id("package", "a package", { required: true });
  const startDate = r.date("start_date", "Start date") ?? (r.errors.start_date ? undefined : today);
  const endDate = r.date("end_date", "End date");
  if (startDate !== undefined && endDate !== undefined && endDate < startDate) r.fail("end_date", `The end date cannot be before the start date (${startDate}).`);
  const form = { packageId, startDate: typeof body.start_date === "string" ? body.start_date : startDate, endDate: typeof body.end_date === "string" ? body.end_date : undefined };
  if (packageId === undefined || startDate === undefined || !r.ok) return { ok: false, form, errors: r.errors };
  return { ok: true, command: { clientId, packageId, startDate, endDate: endDate ?? null } };
}
