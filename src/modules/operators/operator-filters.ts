// The Operators tab's filter parser: query string -> typed query, and back to a URL.
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";

export const operatorNameMaxLength = 100;
export const operatorPageSize = 50;

export interface OperatorListQuery {
  filter: { name?: string; resellerId?: number };
  page: number;
  per: number;
}

export type OperatorParseResult = { ok: true; query: OperatorListQuery } | { ok: false; errors: FieldErrors; query: OperatorListQuery };

export function parseOperatorListQuery(source: Record<string, unknown>): OperatorParseResult {
  const r = new FieldReader(source);
  const query: OperatorListQuery = {
    filter: { name: r.text("q", "Name", operatorNameMaxLength), resellerId: r.id("reseller", "reseller") },
    page: r.integer("page", "Page", 1, 100_000, 1) ?? 1,
    per: operatorPageSize,
  };
  return r.ok ? { ok: true, query } : { ok: false, errors: r.errors, query };
}

export function operatorListUrl(query: OperatorListQuery, page = query.page): string {
  const params = new URLSearchParams();
  if (query.filter.name) params.set("q", query.filter.name);
  if (query.filter.resellerId !== undefined) params.set("reseller", String(query.filter.resellerId));
  if (page !== 1) params.set("page", String(page));
  const search = params.toString();
  return search ? `/operators?${search}` : "/operators";
}
