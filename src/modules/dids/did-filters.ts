// The inventory's one filter parser: query string -> typed DidListQuery -> SQL. The page,
// its htmx fragment, and later the export and "all matching" bulk actions all go through
// it, so they can never disagree about which DIDs a URL means.
import { Prisma } from "../../generated/prisma/client.js";
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import { escapeLike } from "../../shared/sql.js";
import { didScopeSql, type Scope } from "../../shared/actor.js";
import { clientNameMaxLength } from "../clients/client-filters.js";
import { maxDigits, minDigits } from "./did-numbers.js";

export const didStatuses = ["in_stock", "reserved", "active", "blocked", "hold", "archive"] as const;
export type DidStatus = (typeof didStatuses)[number];
export const statusLabels: Record<DidStatus, string> = {
  in_stock: "In stock",
  reserved: "Reserved",
  active: "Active",
  blocked: "Blocked",
  hold: "Hold",
  archive: "Archive",
};

export const sortColumns = ["id", "status", "operator", "number", "tag", "notes", "client", "reseller"] as const;
export type SortColumn = (typeof sortColumns)[number];
export const pageSizes = [25, 50, 100, 500] as const;
export const maxPage = 1_000_000;
export const tagMaxLength = 64;
export const notesMaxLength = 1000;

export interface DidFilter {
  numberContains?: string;
  numberPrefix?: string;
  numberFrom?: string;
  numberTo?: string;
  statuses: DidStatus[];
  operatorId?: number;
  resellerId?: number;
  tag?: string;
  clientId?: number;
  /** Part of a client's name, any letter case: DIDs of every client whose name contains it. */
  clientName?: string;
  accountId?: number;
  /** DIDs assigned under a subscription to this package. */
  packageId?: number;
  notesContains?: string;
  id?: number;
  batchId?: number;
}

export interface DidListQuery {
  filter: DidFilter;
  sort: SortColumn;
  dir: "asc" | "desc";
  page: number;
  per: number;
  /**
   * `count=exact`: count the matches exactly even where the count would be estimated (a
   * filter that matches many DIDs and no counter answers: see dids.service.ts didListPage).
   */
  exactCount: boolean;
}

/**
 * The query-string name of every filter field: the one place the parser, the canonical
 * URL and the search form's templates take them from.
 */
export const filterParams = {
  numberContains: "contains",
  numberPrefix: "prefix",
  numberFrom: "from",
  numberTo: "to",
  statuses: "status",
  operatorId: "operator",
  resellerId: "reseller",
  tag: "tag",
  clientId: "client",
  clientName: "client_name",
  accountId: "account",
  packageId: "package",
  notesContains: "notes",
  id: "id",
  batchId: "batch",
} as const satisfies Record<keyof DidFilter, string>;

/** The names of the list's own state (not filters). */
export const listParams = { sort: "sort", dir: "dir", page: "page", per: "per", count: "count" } as const;

/**
 * Not a filter: the search form sends it along with `client=<id>`, holding the name its
 * client field was shown with. The field then still reads that name when the id is
 * meant, and anything else when the person typed another name (or cleared it).
 */
export const clientShownParam = "client_shown";

export const defaultListQuery: DidListQuery = { filter: { statuses: [] }, sort: "number", dir: "asc", page: 1, per: 50, exactCount: false };

export type ParseResult = { ok: true; query: DidListQuery } | { ok: false; errors: FieldErrors; query: DidListQuery };

/**
 * A number search field: digits, with the same formatting allowed as in a DID (+, spaces,
 * dots, brackets). Also read by the audit log's DID number filter.
 */
export function digits(reader: FieldReader, field: string, label: string, min: number): string | undefined {
  const typed = reader.raw(field)?.trim();
  if (typed === undefined || typed === "") return undefined;
  const value = typed.replace(/\D/g, "");
  if (!/^\+?[\d\s.()]+$/.test(typed) || value === "") return reader.fail(field, `${label}: digits only (spaces, dots and brackets are ignored).`);
  if (value.length < min || value.length > maxDigits) return reader.fail(field, `${label}: ${min} to ${maxDigits} digits.`);
  return value;
}

/** Parses a list URL's query. On errors it still returns what was valid, for the form. */
export function parseDidListQuery(source: Record<string, unknown>): ParseResult {
  const r = new FieldReader(source);
  const p = filterParams;
  const statuses: DidStatus[] = [];
  for (const value of r.list(p.statuses)) {
    if ((didStatuses as readonly string[]).includes(value)) {
      if (!statuses.includes(value as DidStatus)) statuses.push(value as DidStatus);
    } else r.fail(p.statuses, `"${value.slice(0, 40)}" is not a DID status.`);
  }
  const filter: DidFilter = {
    numberContains: digits(r, p.numberContains, "Number contains", 1),
    numberPrefix: digits(r, p.numberPrefix, "Number starts with", 1),
    numberFrom: digits(r, p.numberFrom, "Number from", minDigits),
    numberTo: digits(r, p.numberTo, "Number to", minDigits),
    statuses,
    operatorId: r.id(p.operatorId, "operator"),
    resellerId: r.id(p.resellerId, "reseller"),
    tag: r.text(p.tag, "Tag", tagMaxLength),
    clientId: r.id(p.clientId, "client"),
    clientName: r.text(p.clientName, "Client", clientNameMaxLength),
    accountId: r.id(p.accountId, "account"),
    packageId: r.id(p.packageId, "package"),
    notesContains: r.text(p.notesContains, "Notes", notesMaxLength),
    id: r.id(p.id, "ID"),
    batchId: r.id(p.batchId, "batch"),
  };
  // A form whose client field showed the name of `client=<id>`: the field as sent says
  // whether that client is still meant (the same name) or replaced by what was typed.
  const shown = r.raw(clientShownParam)?.trim();
  if (shown !== undefined && filter.clientId !== undefined) {
    if (filter.clientName === shown) filter.clientName = undefined;
    else filter.clientId = undefined;
  }
  const { numberFrom, numberTo } = filter;
  if (numberFrom && numberTo) {
    if (numberFrom.length !== numberTo.length) r.fail(p.numberTo, "Number from and to need the same number of digits.");
    else if (numberFrom > numberTo) r.fail(p.numberTo, "Number to must not be lower than number from.");
  }
  const perText = r.raw(listParams.per)?.trim();
  let per = defaultListQuery.per;
  if (perText) {
    const n = Number(perText);
    if ((pageSizes as readonly number[]).includes(n) && /^\d+$/.test(perText)) per = n;
    else r.fail(listParams.per, `Rows per page must be one of ${pageSizes.join(", ")}.`);
  }
  const query: DidListQuery = {
    filter,
    sort: r.oneOf(listParams.sort, "sort column", sortColumns, defaultListQuery.sort) ?? defaultListQuery.sort,
    dir: r.oneOf(listParams.dir, "sort direction", ["asc", "desc"] as const, defaultListQuery.dir) ?? defaultListQuery.dir,
    page: r.integer(listParams.page, "Page", 1, maxPage, 1) ?? 1,
    per,
    exactCount: false,
  };
  const count = r.raw(listParams.count)?.trim();
  if (count === "exact") query.exactCount = true;
  else if (count) r.fail(listParams.count, "Count: only “exact” (or leave it out: a large count is then estimated).");
  return r.ok ? { ok: true, query } : { ok: false, errors: r.errors, query };
}

/** The canonical query string of a list state: only what differs from the defaults. */
export function listSearchParams(query: DidListQuery, overrides: Partial<Omit<DidListQuery, "filter">> = {}): URLSearchParams {
  const q = { ...query, ...overrides };
  const f = q.filter;
  const params = new URLSearchParams();
  const add = (name: string, value: string | number | undefined) => {
    if (value !== undefined && value !== "") params.append(name, String(value));
  };
  for (const [key, name] of Object.entries(filterParams) as [keyof DidFilter, string][]) {
    const value = f[key];
    if (Array.isArray(value)) for (const item of value) add(name, item);
    else add(name, value);
  }
  if (q.sort !== defaultListQuery.sort || q.dir !== defaultListQuery.dir) {
    add(listParams.sort, q.sort);
    add(listParams.dir, q.dir);
  }
  if (q.per !== defaultListQuery.per) add(listParams.per, q.per);
  if (q.exactCount) add(listParams.count, "exact");
  if (q.page !== 1) add(listParams.page, q.page);
  return params;
}

/**
 * The list state the search form carries in hidden fields (the batch, the sort, the page
 * size), so that a new search keeps them; only what differs from the defaults.
 */
export function hiddenSearchFields(query: DidListQuery): [string, string][] {
  const kept = new Set<string>([filterParams.batchId, listParams.sort, listParams.dir, listParams.per]);
  return [...listSearchParams(query, { page: 1 })].filter(([name]) => kept.has(name));
}

/**
 * The whole search (every filter and the sort; not the page or its size) as hidden fields,
 * for a form that acts on the search elsewhere: the export.
 */
export function searchFields(query: DidListQuery): [string, string][] {
  return [...listSearchParams(query, { page: 1, per: defaultListQuery.per, exactCount: false })];
}

export function listUrl(query: DidListQuery, overrides: Partial<Omit<DidListQuery, "filter">> = {}): string {
  const search = listSearchParams(query, overrides).toString();
  return search ? `/dids?${search}` : "/dids";
}

export function isFiltered(filter: DidFilter): boolean {
  return Object.entries(filter).some(([key, value]) => (key === "statuses" ? (value as unknown[]).length > 0 : value !== undefined));
}

/**
 * The conditions over `did d` of a filter, within the user's scope (TRUE when there are
 * none). They need no join, so the total count reads the did table alone; reseller and
 * client filters go through small subqueries on their indexed keys.
 */
export function didConditionSql(filter: DidFilter, scope: Scope): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (scope.resellerId !== null) conditions.push(didScopeSql(scope));
  if (filter.numberContains) conditions.push(Prisma.sql`d.number LIKE ${`%${filter.numberContains}%`}`);
  // A range, not LIKE 'p%': the planner estimates a range on did_number_key well, and at
  // ten million rows read a prefix through the trigram index instead (45 ms against 0.1).
  // Numbers are digits, and ':' follows '9' in the column's C collation.
  if (filter.numberPrefix) conditions.push(Prisma.sql`d.number >= ${filter.numberPrefix} AND d.number < ${`${filter.numberPrefix}:`}`);
  // Numbers are compared as digit strings of one length, which orders them numerically.
  if (filter.numberFrom) conditions.push(Prisma.sql`d.number >= ${filter.numberFrom} AND length(d.number) = ${filter.numberFrom.length}`);
  if (filter.numberTo) conditions.push(Prisma.sql`d.number <= ${filter.numberTo} AND length(d.number) = ${filter.numberTo.length}`);
  if (filter.statuses.length > 0) {
    conditions.push(Prisma.sql`d.status IN (${Prisma.join(filter.statuses.map((s) => Prisma.sql`${s}::"DidStatus"`))})`);
  }
  if (filter.operatorId !== undefined) conditions.push(Prisma.sql`d.operator_id = ${filter.operatorId}`);
  if (filter.resellerId !== undefined) {
    conditions.push(Prisma.sql`d.operator_id IN (SELECT id FROM operator WHERE reseller_id = ${filter.resellerId})`);
  }
  if (filter.tag !== undefined) conditions.push(Prisma.sql`d.tag = ${filter.tag}`);
  if (filter.clientId !== undefined) {
    conditions.push(Prisma.sql`d.client_account_id IN (SELECT id FROM client_account WHERE client_id = ${filter.clientId})`);
  }
  if (filter.accountId !== undefined) conditions.push(Prisma.sql`d.client_account_id = ${filter.accountId}`);
  if (filter.packageId !== undefined) {
    conditions.push(Prisma.sql`d.subscription_id IN (SELECT id FROM subscription WHERE package_id = ${filter.packageId})`);
  }
  if (filter.clientName !== undefined) {
    // The client names go through the trigram index (client_name_trgm_idx), their accounts
    // through their unique key, the DIDs through did_client_account_id_number_idx.
    conditions.push(Prisma.sql`d.client_account_id IN (
      SELECT a.id FROM client_account a JOIN client c ON c.id = a.client_id WHERE c.name ILIKE ${`%${escapeLike(filter.clientName)}%`})`);
  }
  if (filter.notesContains !== undefined) conditions.push(Prisma.sql`d.notes ILIKE ${`%${escapeLike(filter.notesContains)}%`}`);
  if (filter.id !== undefined) conditions.push(Prisma.sql`d.id = ${filter.id}`);
  if (filter.batchId !== undefined) conditions.push(Prisma.sql`d.batch_id = ${filter.batchId}`);
  return conditions.length > 0 ? Prisma.join(conditions, " AND ") : Prisma.sql`TRUE`;
}

/** WHERE over `did d` for a filter, within the user's scope. */
export function didWhereSql(filter: DidFilter, scope: Scope): Prisma.Sql {
  return Prisma.sql`WHERE ${didConditionSql(filter, scope)}`;
}

const sortExpressions: Record<SortColumn, string[]> = {
  id: ["d.id"],
  status: ["d.status", "d.id"],
  // Within one operator, reseller or account, by number: what a reader expects, and what
  // the (…, number) indexes give in order (see pageIdsByNameSql in dids.repo.ts).
  operator: ["o.name", "d.number"],
  number: ["d.number"],
  tag: ["d.tag", "d.id"],
  notes: ["d.notes", "d.id"],
  client: ["c.name", "ca.name", "d.number"],
  reseller: ["r.name", "d.number"],
};

/** The joins a sort column needs before the page is cut (operator, client and reseller sort by name). */
const sortJoins: Record<SortColumn, string> = {
  id: "",
  status: "",
  operator: "JOIN operator o ON o.id = d.operator_id",
  number: "",
  tag: "",
  notes: "",
  client: "LEFT JOIN client_account ca ON ca.id = d.client_account_id LEFT JOIN client c ON c.id = ca.client_id",
  reseller: "JOIN operator o ON o.id = d.operator_id JOIN reseller r ON r.id = o.reseller_id",
};

export function didSortJoinsSql(sort: SortColumn): Prisma.Sql {
  return Prisma.raw(sortJoins[sort]);
}

/** ORDER BY from a whitelisted column: user input never reaches the SQL text. */
export function didOrderSql(sort: SortColumn, dir: "asc" | "desc"): Prisma.Sql {
  const direction = dir === "desc" ? "DESC" : "ASC";
  return Prisma.raw(`ORDER BY ${sortExpressions[sort].map((e) => `${e} ${direction}`).join(", ")}`);
}
