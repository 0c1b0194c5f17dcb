// The Packages tab's filter parser: query string -> typed query, and back to a URL. The
// page and its htmx fragment both go through it, so they cannot disagree.
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";

export const packageNameMaxLength = 100;
export const packagePageSize = 50;

export interface PackageListQuery {
  filter: { name?: string; resellerId?: number };
  page: number;
  per: number;
}

export type PackageParseResult = { ok: true; query: PackageListQuery } | { ok: false; errors: FieldErrors; query: PackageListQuery };

export function parsePackageListQuery(source: Record<string, unknown>): PackageParseResult {
  const r = new FieldReader(source);
  const query: PackageListQuery = {
    filter: { name: r.text("q", "Name", packageNameMaxLength), resellerId: r.id("reseller", "reseller") },
    page: r.integer("page", "Page", 1, 100_000, 1) ?? 1,
    per: packagePageSize,
  };
  return r.ok ? { ok: true, query } : { ok: false, errors: r.errors, query };
}

/** The canonical URL of a list query: what the address bar shows and the pager links to. */
export function packageListUrl(query: PackageListQuery, page = query.page): string {
  const params = new URLSearchParams();
  if (query.filter.name) params.set("q", query.filter.name);
  if (query.filter.resellerId !== undefined) params.set("reseller", String(query.filter.resellerId));
  if (page !== 1) params.set("page", String(page));
  const search = params.toString();
  return search ? `/packages?${search}` : "/packages";
}
