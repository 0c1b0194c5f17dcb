// "These DIDs": the one value that the list page, mass edit, delete and (later) the export
// all take. It is either the DIDs a person ticked (ids) or everything a search matches.
// "All matching" carries the search itself, not ids, and is resolved by the same filter
// parser as the page, so the page and the action can never disagree about which rows.
import { Prisma } from "../../generated/prisma/client.js";
import { didScopeSql, type Scope } from "../../shared/actor.js";
import { FieldReader, parseId, type FieldErrors } from "../../shared/field-errors.js";
import { parseFormEncoded } from "../../shared/form-encoding.js";
import { defaultListQuery, didConditionSql, parseDidListQuery, type DidListQuery } from "./did-filters.js";

export type DidSelection = { kind: "ids"; ids: number[] } | { kind: "search"; query: DidListQuery };

/** More ids than this in one post are refused: past a page or two, "all matching" is the tool. */
export const maxSelectedIds = 10_000;

export interface SelectionForm {
  /** The list's canonical query string the selection was made on ("status=in_stock&tag=x"). */
  search: string;
  /** What that search means (the default list when it is not valid): shown again after the action. */
  query: DidListQuery;
  selection?: DidSelection;
}

/**
 * Reads a selection from a posted form:
 * - `select=all`: every DID the search (`search`, a query string) matches;
 * - `select=page`: the DIDs shown on that page (`page_id`, one per row);
 * - otherwise the ticked rows (`id`).
 * The search is kept in every case, so that after the action the inventory shows it again.
 */
export function parseSelectionForm(body: Record<string, unknown>): { value: SelectionForm; errors: FieldErrors } {
  const r = new FieldReader(body);
  const search = (r.raw("search") ?? "").replace(/^\?/, "");
  const parsedSearch = parseDidListQuery(parseFormEncoded(search));
  const query = parsedSearch.ok ? parsedSearch.query : defaultListQuery;
  const modes = r.list("select");
  const mode = modes.includes("all") ? "all" : modes.includes("page") ? "page" : "ids";
  if (mode === "all") {
    if (!parsedSearch.ok) return { value: { search, query }, errors: { selection: "The search of this selection is not valid any more. Search again, then select." } };
    return { value: { search, query, selection: { kind: "search", query: { ...parsedSearch.query, page: 1 } } }, errors: r.errors };
  }
  const field = mode === "page" ? "page_id" : "id";
  const texts = r.list(field);
  if (texts.length > maxSelectedIds) {
    return { value: { search, query }, errors: { selection: `Select at most ${maxSelectedIds.toLocaleString("en-US")} DIDs by hand, or use “all matching this search”.` } };
  }
  const ids = new Set<number>();
  for (const text of texts) {
    const id = parseId(text.trim());
    if (id === undefined) return { value: { search, query }, errors: { selection: "The selection holds something that is not a DID ID. Select the DIDs again." } };
    ids.add(id);
  }
  if (ids.size === 0) return { value: { search, query }, errors: { selection: "Select at least one DID (tick its row), or “all matching this search”." } };
  return { value: { search, query, selection: { kind: "ids", ids: [...ids] } }, errors: r.errors };
}

/**
 * The condition over `did d` that is the selection, within the scope. Ids outside the
 * scope are not there, exactly as ids that do not exist.
 */
export function selectionConditionSql(selection: DidSelection, scope: Scope): Prisma.Sql {
  if (selection.kind === "search") return didConditionSql(selection.query.filter, scope);
  const inScope = scope.resellerId === null ? Prisma.empty : Prisma.sql`AND ${didScopeSql(scope)}`;
  return Prisma.sql`d.id = ANY(${selection.ids}::int[]) ${inScope}`;
}

/** The hidden fields that carry a selection from one form to the next (dialog -> confirmation -> apply). */
export function selectionFields(form: SelectionForm): [string, string][] {
  const fields: [string, string][] = [["search", form.search]];
  const selection = form.selection;
  if (selection?.kind === "search") fields.push(["select", "all"]);
  else if (selection) for (const id of selection.ids) fields.push(["id", String(id)]);
  return fields;
}
