// The new-package and edit-package forms, read into typed commands. What needs the
// database (a reseller in scope, a name taken, a limit below what a subscription holds)
// is the service's to check.
import type { Parsed } from "../../shared/commands.js";
import { FieldReader, clip } from "../../shared/field-errors.js";
import { tagMaxLength } from "../dids/did-filters.js";
import { maxHoldDays } from "../dids/did-forms.js";
import { packageNameMaxLength } from "./package-filters.js";

export const maxDidLimit = 1_000_000;
export const maxAllowedTags = 50;

/** What both forms set. */
export interface PackageFields {
  name: string;
  didLimit: number;
  /** Empty: any tag. Duplicates removed, case kept (DID tags are case-sensitive). */
  allowedTags: string[];
  defaultHoldDays: number;
}

export interface CreatePackageCommand extends PackageFields {
  resellerId: number;
}

export interface EditPackageCommand extends PackageFields {
  /** Only a hand-made request sends it (the form shows the reseller read only): it must be the package's own. */
  resellerId?: number;
}

/** A form as typed, to show it again with its errors: numbers and tags as text. */
export interface PackageForm {
  name?: string;
  resellerId?: number;
  didLimit?: string;
  allowedTags?: string;
  defaultHoldDays?: string;
}

/** How a list of tags is written in the form, and read back by readTags. */
export function tagsText(tags: readonly string[]): string {
  return tags.join(", ");
}

export function packageForm(fields: Partial<PackageFields> & { resellerId?: number }): PackageForm {
  return {
    name: fields.name,
    resellerId: fields.resellerId,
    didLimit: fields.didLimit === undefined ? undefined : String(fields.didLimit),
    allowedTags: fields.allowedTags === undefined ? undefined : tagsText(fields.allowedTags),
    defaultHoldDays: fields.defaultHoldDays === undefined ? undefined : String(fields.defaultHoldDays),
  };
}

/** Tags separated by commas or white space. Undefined (and an error) when the list is refused. */
function readTags(r: FieldReader, field: string): string[] | undefined {
  const raw = r.raw(field);
  if (raw === undefined) return [];
  const tags = new Set<string>();
  for (const tag of raw.split(/[\s,]+/)) {
    if (tag === "") continue;
    const length = [...tag].length;
    if (length > tagMaxLength) return r.fail(field, `A tag can be at most ${tagMaxLength} characters (“${clip(tag)}” has ${length}).`);
    // White space already separates tags; what is left of the control characters is a paste accident.
    if (/[\u0000-\u001f\u007f]/.test(tag)) return r.fail(field, "A tag contains control characters; remove them.");
    tags.add(tag);
  }
  if (tags.size > maxAllowedTags) return r.fail(field, `At most ${maxAllowedTags} tags (this list has ${tags.size}).`);
  return [...tags];
}

function readFields(r: FieldReader): { form: PackageForm; fields?: PackageFields } {
  const name = r.text("name", "Name", packageNameMaxLength, { required: true });
  const didLimit = r.integer("did_limit", "DID limit", 0, maxDidLimit) ?? (r.errors.did_limit ? undefined : r.fail("did_limit", "DID limit is required."));
  const allowedTags = readTags(r, "allowed_tags");
  const defaultHoldDays = r.integer("default_hold_days", "Default hold days", 0, maxHoldDays, 0);
  // Shown again as typed, so that "ten" can be corrected rather than retyped.
  const form: PackageForm = { name, didLimit: r.raw("did_limit"), allowedTags: r.raw("allowed_tags"), defaultHoldDays: r.raw("default_hold_days") };
  if (name === undefined || didLimit === undefined || allowedTags === undefined || defaultHoldDays === undefined) return { form };
  return { form, fields: { name, didLimit, allowedTags, defaultHoldDays } };
}

/**
 * The new-package form. `ownResellerId` is the reseller of a reseller's user, who may
 * leave the field out: a package can only be theirs.
 */
export function parseCreatePackageForm(body: Record<string, unknown>, ownResellerId: number | null): Parsed<CreatePackageCommand, PackageForm> {
  const r = new FieldReader(body);
  const { form, fields } = readFields(r);
  const resellerId = r.id("reseller", "a reseller", { required: ownResellerId === null }) ?? ownResellerId ?? undefined;
  form.resellerId = resellerId;
  if (!fields || resellerId === undefined || !r.ok) return { ok: false, form, errors: r.errors };
  return { ok: true, command: { ...fields, resellerId } };
}

export function parseEditPackageForm(body: Record<string, unknown>): Parsed<EditPackageCommand, PackageForm> {
  const r = new FieldReader(body);
  const { form, fields } = readFields(r);
  const resellerId = r.id("reseller", "a reseller");
  if (!fields || !r.ok) return { ok: false, form, errors: r.errors };
  return { ok: true, command: resellerId === undefined ? fields : { ...fields, resellerId } };
}
