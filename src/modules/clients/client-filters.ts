// The Clients tab's filter parser: query string -> typed query, and back to a URL. Also
// the query of the name suggestions that the inventory's client field asks for.
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";

export const clientNameMaxLength = 100;
export const clientNotesMaxLength = 1000;
export const accountNameMaxLength = 100;
export const clientPageSize = 50;
export const maxClientPage = 100_000;
/** Most names one suggestion list holds: enough to pick from, small enough to send per key. */
export const suggestionLimit = 20;

/** The query-string names of the list: the parser, the canonical URL and the form take them from here. */
export const clientListParams = { name: "q", resellerId: "reseller", page: "page" } as const;

export interface ClientListQuery {
  filter: { name?: string; resellerId?: number };
  page: number;
  per: number;
}

export type ClientParseResult = { ok: true; query: ClientListQuery } | { ok: false; errors: FieldErrors; query: ClientListQuery };

export function parseClientListQuery(source: Record<string, unknown>): ClientParseResult {
  const r = new FieldReader(source);
  const p = clientListParams;
  const query: ClientListQuery = {
    filter: { name: r.text(p.name, "Name", clientNameMaxLength), resellerId: r.id(p.resellerId, "reseller") },
    page: r.integer(p.page, "Page", 1, maxClientPage, 1) ?? 1,
    per: clientPageSize,
  };
  return r.ok ? { ok: true, query } : { ok: false, errors: r.errors, query };
}

export function clientListUrl(query: ClientListQuery, page = query.page): string {
  const p = clientListParams;
  const params = new URLSearchParams();
  if (query.filter.name) params.set(p.name, query.filter.name);
  if (query.filter.resellerId !== undefined) params.set(p.resellerId, String(query.filter.resellerId));
  if (page !== 1) params.set(p.page, String(page));
  const search = params.toString();
  return search ? `/clients?${search}` : "/clients";
}

/**
 * The suggestions' query: `q`, or the inventory field's own name (`fieldName`), which is
 * what htmx sends when the field itself asks. Empty text suggests nothing.
 */
export function parseSuggestQuery(source: Record<string, unknown>, fieldName: string): { ok: true; text: string | undefined } | { ok: false; errors: FieldErrors } {
  const r = new FieldReader(source);
  const field = source.q !== undefined ? "q" : fieldName;
  const text = r.text(field, "Client", clientNameMaxLength);
  return r.ok ? { ok: true, text } : { ok: false, errors: r.errors };
}
