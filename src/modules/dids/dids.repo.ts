// The only place that reads and writes DIDs. The list uses SQL built from the shared
// filter (did-filters.ts) because one query with joins beats several ORM round trips on
// a million rows, and because Prisma cannot say length() or the trigram-friendly LIKE.
import { createHash } from "node:crypto";
import type pg from "pg";
import { Prisma } from "../../generated/prisma/client.js";
import { openCursor, type Cursor } from "../../db/cursor.js";
import { hotPathQuery, type Db, type DbOrTx } from "../../db/prisma.js";
import { didScopeSql, type Caller, type Scope } from "../../shared/actor.js";
import { auditInsertSql, changesSql, type AuditAction } from "../audit/audit-log.js";
import { didOrderSql, didSortJoinsSql, didWhereSql, notesMaxLength, type DidFilter, type DidListQuery, type DidStatus } from "./did-filters.js";
import { selectionConditionSql, type DidSelection } from "./did-selection.js";
import { deleteRefusalSql, manualStatusRefusalSql, operatorChangeRefusalSql, type RefusalCode } from "./did-status-rules.js";

export type AfterHoldStatus = "in_stock" | "reserved" | "archive";

export interface DidRow {
  id: number;
  number: string;
  status: DidStatus;
  operatorId: number;
  operatorName: string;
  resellerId: number;
  resellerName: string;
  tag: string | null;
  notes: string | null;
  clientId: number | null;
  clientName: string | null;
  accountName: string | null;
  packageName: string | null;
  holdUntil: Date | null;
}

export interface DidDetail extends DidRow {
  afterHoldStatus: AfterHoldStatus;
  holdDays: number;
  clientAccountId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

const selectColumns = Prisma.sql`
  d.id, d.number, d.status::text AS status, d.operator_id AS "operatorId", o.name AS "operatorName",
  r.id AS "resellerId", r.name AS "resellerName", d.tag, d.notes,
  c.id AS "clientId", c.name AS "clientName", ca.name AS "accountName", pk.name AS "packageName", d.hold_until AS "holdUntil"`;

const joins = Prisma.sql`
  JOIN operator o ON o.id = d.operator_id
  JOIN reseller r ON r.id = o.reseller_id
  LEFT JOIN client_account ca ON ca.id = d.client_account_id
  LEFT JOIN client c ON c.id = ca.client_id
  LEFT JOIN subscription su ON su.id = d.subscription_id
  LEFT JOIN package pk ON pk.id = su.package_id`;

/** The ids of one page, in the list's order. */
function pageIdsSql(query: DidListQuery, scope: Scope): Prisma.Sql {
  const offset = (query.page - 1) * query.per;
  // A filter naming one DID by its ID matches at most one row: no order to keep, so one
  // statement text whatever the sort (see oneDidStatementName). No sort join drops a DID:
  // every DID has an operator, and every operator a reseller.
  if (query.filter.id !== undefined) return Prisma.sql`SELECT d.id FROM did d ${didWhereSql(query.filter, scope)} LIMIT ${query.per} OFFSET ${offset}`;
  return (
    pageIdsByNameSql(query, scope, offset) ??
    Prisma.sql`SELECT d.id FROM did d ${didSortJoinsSql(query.sort)} ${didWhereSql(query.filter, scope)} ${didOrderSql(query.sort, query.dir)} LIMIT ${query.per} OFFSET ${offset}`
  );
}

/**
 * A page sorted by operator, reseller or client name, without sorting every DID: ten
 * million rows joined and sorted cost seconds. There are few operators and resellers, and
 * accounts are walked in name order: each one's DIDs are read in number order through an
 * index (did_operator_id_number_idx, did_status_operator_id_number_idx,
 * did_client_account_id_number_idx; the unassigned ones through did_number_key),
 * at most as many as the page needs, and the walk stops once the page is full. Only for
 * filters those indexes serve (status, operator, reseller, the user's scope; for the
 * client sort no status or operator); any other filter narrows the rows enough for the
 * plain join and sort. Undefined: use the plain query.
 */
function pageIdsByNameSql(query: DidListQuery, scope: Scope, offset: number): Prisma.Sql | undefined {
  const { filter, sort } = query;
  const onlyStatusOperatorReseller = Object.entries(filter).every(
    ([field, value]) => value === undefined || (Array.isArray(value) && value.length === 0) || ["statuses", "operatorId", "resellerId"].includes(field),
  );
  if (!onlyStatusOperatorReseller || !["operator", "reseller", "client"].includes(sort)) return undefined;
  const dir = Prisma.raw(query.dir === "desc" ? "DESC" : "ASC");
  const enough = offset + query.per;
  const page = Prisma.sql`LIMIT ${query.per} OFFSET ${offset}`;
  // A reseller's user sees that reseller's operators, clients and accounts only.
  const resellerIds = [scope.resellerId, filter.resellerId].filter((id): id is number => id !== null && id !== undefined);
  const statuses =
    filter.statuses.length > 0 ? Prisma.sql`AND d.status IN (${Prisma.join(filter.statuses.map((status) => Prisma.sql`${status}::"DidStatus"`))})` : Prisma.empty;
  const operators = Prisma.join(
    [
      Prisma.sql`TRUE`,
      ...resellerIds.map((id) => Prisma.sql`o.reseller_id = ${id}`),
      ...(filter.operatorId === undefined ? [] : [Prisma.sql`o.id = ${filter.operatorId}`]),
    ],
    " AND ",
  );
  const didsOfOperator = Prisma.sql`SELECT d.id, d.number FROM did d WHERE d.operator_id = o.id ${statuses} ORDER BY d.number ${dir} LIMIT ${enough}`;
  if (sort === "operator") {
    return Prisma.sql`SELECT d.id FROM operator o CROSS JOIN LATERAL (${didsOfOperator}) d WHERE ${operators} ORDER BY o.name ${dir}, d.number ${dir} ${page}`;
  }
  if (sort === "reseller") {
    return Prisma.sql`
      SELECT d.id FROM reseller r CROSS JOIN LATERAL (
        SELECT d.id, d.number FROM operator o CROSS JOIN LATERAL (${didsOfOperator}) d WHERE o.reseller_id = r.id AND ${operators} ORDER BY d.number ${dir} LIMIT ${enough}
      ) d ORDER BY r.name ${dir}, d.number ${dir} ${page}`;
  }
  if (filter.statuses.length > 0 || filter.operatorId !== undefined) return undefined;
  // By client: assigned DIDs by client and account name, then (ascending; first when
  // descending, as NULLs sort) the unassigned ones by number.
  const accounts = Prisma.join([Prisma.sql`TRUE`, ...resellerIds.map((id) => Prisma.sql`ca.reseller_id = ${id}`)], " AND ");
  const unassigned = Prisma.join([Prisma.sql`d.client_account_id IS NULL`, ...resellerIds.map((id) => Prisma.sql`d.operator_id IN (SELECT id FROM operator WHERE reseller_id = ${id})`)], " AND ");
  return Prisma.sql`
    SELECT id FROM (
      (SELECT c.name AS client_name, ca.name AS account_name, d.number, d.id
       FROM client c JOIN client_account ca ON ca.client_id = c.id
       CROSS JOIN LATERAL (SELECT d.id, d.number FROM did d WHERE d.client_account_id = ca.id ORDER BY d.number ${dir} LIMIT ${enough}) d
       WHERE ${accounts}
       ORDER BY c.name ${dir}, ca.name ${dir}, d.number ${dir} LIMIT ${enough})
      UNION ALL
      (SELECT NULL, NULL, d.number, d.id FROM did d WHERE ${unassigned} ORDER BY d.number ${dir} LIMIT ${enough})
    ) named ORDER BY client_name ${dir}, account_name ${dir}, number ${dir} ${page}`;
}

/** The SQL of the total count that goes with a list page. */
export function countDidsSql(filter: DidFilter, scope: Scope): Prisma.Sql {
  return Prisma.sql`SELECT count(*)::int AS total FROM did d ${didWhereSql(filter, scope)}`;
}

export async function countDids(db: DbOrTx, scope: Scope, filter: DidFilter): Promise<number> {
  const [row] = await db.$queryRaw<{ total: number }[]>(countDidsSql(filter, scope));
  return row?.total ?? 0;
}

/**
 * True when the per-(operator, status) counts (did_count_delta, kept by triggers on did)
 * answer this filter exactly: statuses, operator and reseller only, within any scope.
 */
export function countersAnswer(filter: DidFilter): boolean {
  return Object.entries(filter).every(([key, value]) =>
    key === "statuses" || key === "operatorId" || key === "resellerId" ? true : value === undefined,
  );
}

/**
 * The SQL of the exact total of a filter that countersAnswer: a sum over a few hundred
 * rows instead of a count over every DID. Consistent with the statement's snapshot, as a
 * count(*) would be: the triggers write the counts in the writer's own transaction.
 */
export function countFromCountersSql(filter: DidFilter, scope: Scope): Prisma.Sql {
  const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
  const ofReseller = (resellerId: number) => Prisma.sql`c.operator_id IN (SELECT id FROM operator WHERE reseller_id = ${resellerId})`;
  if (scope.resellerId !== null) conditions.push(ofReseller(scope.resellerId));
  if (filter.resellerId !== undefined) conditions.push(ofReseller(filter.resellerId));
  if (filter.operatorId !== undefined) conditions.push(Prisma.sql`c.operator_id = ${filter.operatorId}`);
  if (filter.statuses.length > 0) conditions.push(Prisma.sql`c.status IN (${Prisma.join(filter.statuses.map((s) => Prisma.sql`${s}::"DidStatus"`))})`);
  return Prisma.sql`SELECT coalesce(sum(c.n), 0)::int AS total FROM did_count_delta c WHERE ${Prisma.join(conditions, " AND ")}`;
}

/** Folds did_count_delta into one row per (operator, status), zeros dropped (the compaction job). */
export async function compactDidCounts(db: Db): Promise<{ before: number; after: number }> {
  const [row] = await db.$queryRaw<{ before: number; after: number }[]>`
    WITH gone AS (DELETE FROM did_count_delta RETURNING operator_id, status, n),
    folded AS (
      INSERT INTO did_count_delta (operator_id, status, n)
      SELECT operator_id, status, sum(n) FROM gone GROUP BY 1, 2 HAVING sum(n) <> 0
      RETURNING 1
    )
    SELECT (SELECT count(*)::int FROM gone) AS before, (SELECT count(*)::int FROM folded) AS after`;
  return row ?? { before: 0, after: 0 };
}

/**
 * The planner's estimate of how many DIDs a filter matches (EXPLAIN, nothing run): under
 * a millisecond, from the statistics ANALYZE keeps. Only ever shown as "about".
 */
export async function estimateDids(db: Db, scope: Scope, filter: DidFilter): Promise<number> {
  const sql = Prisma.sql`EXPLAIN (FORMAT JSON) SELECT 1 FROM did d ${didWhereSql(filter, scope)}`;
  const [row] = await hotPathQuery<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>(db, sql.text, sql.values);
  return Math.round(row?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0);
}

/** How a list page's total is read in its own statement: from the counters, by count(*), or not there. */
export type PageTotal = "counters" | "count" | undefined;

/** The inventory search form's option lists for a scope, as did_list_options returns them. */
export interface ListOptions {
  operators: { id: number; name: string; reseller: { id: number; name: string } }[];
  resellers: { id: number; name: string }[];
  packages: { id: number; name: string; reseller: { name: string } }[];
}

/**
 * One list page in ONE statement: the search form's option lists (with `withOptions`; empty without), the
 * page's rows (when there is a valid query) and, when asked, the total. One round trip
 * instead of six, without Prisma's per-query work: the inventory is what twenty people keep
 * open at once. The option lists and the rows for the chosen ids come from the functions
 * did_list_options and did_page_rows (migration 20261127220000_inventory_page_functions),
 * whose plans PostgreSQL keeps: only the filter is planned per request. Rows come back as
 * JSON in the page's order. With `confirm` (SQL, a boolean: the request's session claim,
 * see plugins/auth.ts), the same statement checks it, and `confirmed` says what it found.
 */
export async function readListPage(
  db: Db,
  scope: Scope,
  query: DidListQuery | undefined,
  withOptions: boolean,
  total: PageTotal,
  confirm?: Prisma.Sql,
): Promise<{ options: ListOptions; rows: DidRow[]; total?: number; confirmed: boolean }> {
  const sql = listPageSql(scope, query, withOptions, total, confirm);
  const [row] = await hotPathQuery<Record<string, unknown>>(db, sql.text, sql.values, query?.filter.id !== undefined ? oneDidStatementName(sql.text) : undefined);
  const pageRows = ((row?.rows ?? []) as (Omit<DidRow, "holdUntil"> & { holdUntil: string | null; position?: number })[]).map(({ position: _position, ...r }) => ({
    ...r,
    holdUntil: r.holdUntil === null ? null : new Date(r.holdUntil),
  }));
  const options = (row?.options ?? { operators: [], resellers: [], packages: [] }) as ListOptions;
  return { options, rows: pageRows, total: row?.total === null || row?.total === undefined ? undefined : Number(row.total), confirmed: row?.confirmed === true };
}

/**
 * The name readListPage prepares a page's statement under when its filter names one DID by
 * its ID. Such a filter matches at most one row: the plan starts from the primary key
 * whatever the URL's values (an equality on it is estimated at one row, and any other
 * condition at more). Prepared once per connection, the statement soon runs on a generic
 * plan that PostgreSQL keeps (no parse, no plan; on a light page that was a third of the
 * database's time). Every other filter stays unnamed and is planned for its values: a
 * status or an operator can hold ten rows or ten million.
 *
 * The name is the text's hash, the same in every process and after a restart. The text
 * varies only with the other fields present, the count, the scope (a reseller's ID is a
 * parameter) and the session check: the sort does not enter it (pageIdsSql). Past
 * `maxOneDidStatements` texts, further ones run unnamed. Each one prepared holds about
 * 64 KB on each connection that ran it (its plan, measured in pg_backend_memory_contexts):
 * at most about 3 MB per connection, 32 MB per process with the pool's 10; the usual
 * handful of texts, a few hundred KB per connection.
 */
export function oneDidStatementName(text: string): string | undefined {
  let name = oneDidStatementNames.get(text);
  if (name === undefined && oneDidStatementNames.size < maxOneDidStatements) {
    name = `did-page-one-${createHash("sha1").update(text).digest("hex")}`;
    oneDidStatementNames.set(text, name);
  }
  return name;
}
const oneDidStatementNames = new Map<string, string>();
const maxOneDidStatements = 50;

/** The SQL of readListPage (exported so the benchmark runs exactly what the app runs). */
export function listPageSql(scope: Scope, query: DidListQuery | undefined, withOptions: boolean, total: PageTotal, confirm?: Prisma.Sql): Prisma.Sql {
  const options = withOptions ? Prisma.sql`did_list_options(${scope.resellerId}::int)` : Prisma.sql`NULL::json`;
  // The page's ids in their order (an array keeps it), then their display columns.
  const rows = query ? Prisma.sql`did_page_rows(ARRAY(${pageIdsSql(query, scope)}))` : Prisma.sql`'[]'::json`;
  const totalSql =
    !query || total === undefined ? Prisma.sql`NULL::int` : total === "counters" ? Prisma.sql`(${countFromCountersSql(query.filter, scope)})` : Prisma.sql`(${countDidsSql(query.filter, scope)})`;
  return Prisma.sql`SELECT ${options} AS options, ${rows} AS rows, ${totalSql} AS total, ${confirm ?? Prisma.sql`true`} AS confirmed`;
}

/** One DID as the export writes it: the inventory's columns and what an import needs to rebuild it. */
export interface DidExportRow {
  id: number;
  number: string;
  status: DidStatus;
  operator: string;
  reseller: string;
  afterHold: AfterHoldStatus;
  holdDays: number;
  tag: string | null;
  notes: string | null;
  client: string | null;
  account: string | null;
  /** The package of the subscription the DID is assigned under (the manual's extra column). */
  package: string | null;
  /** UTC, "YYYY-MM-DD HH:MM:SS". */
  created: string;
}

/** The export's columns as SQL over its FROM (d, o, r, ca, c, su, pk): one per field of DidExportRow. */
export type ExportColumnsSql = Record<keyof DidExportRow, Prisma.Sql>;

const exportColumnsSql: ExportColumnsSql = {
  id: Prisma.sql`d.id`,
  number: Prisma.sql`d.number`,
  status: Prisma.sql`d.status::text`,
  operator: Prisma.sql`o.name`,
  reseller: Prisma.sql`r.name`,
  afterHold: Prisma.sql`d.after_hold_status::text`,
  holdDays: Prisma.sql`d.hold_days`,
  tag: Prisma.sql`d.tag`,
  notes: Prisma.sql`d.notes`,
  client: Prisma.sql`c.name`,
  account: Prisma.sql`ca.name`,
  package: Prisma.sql`pk.name`,
  created: Prisma.sql`to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`,
};

/** Every column, named as DidExportRow names it. */
function eachColumn(columns: ExportColumnsSql): Prisma.Sql {
  return Prisma.join(Object.entries(columns).map(([key, sql]) => Prisma.sql`${sql} AS ${Prisma.raw(`"${key}"`)}`));
}

/**
 * The SQL of an export (exported so the benchmark runs exactly what the app runs): what
 * `select` makes of the columns (by default each of them), for every DID of the selection,
 * in the list's order. One statement over the whole selection, read through a cursor.
 */
export function exportDidsSql(
  selection: DidSelection,
  order: Pick<DidListQuery, "sort" | "dir">,
  scope: Scope,
  select: (columns: ExportColumnsSql) => Prisma.Sql = eachColumn,
): Prisma.Sql {
  return Prisma.sql`
    SELECT ${select(exportColumnsSql)}
    FROM did d
    ${joins}
    WHERE ${selectionConditionSql(selection, scope)}
    ${didOrderSql(order.sort, order.dir)}`;
}

/** The DIDs of the selection, in the list's order, read through a cursor on `pool` (rows as `select` shapes them). */
export function openDidExport<T = DidExportRow>(
  pool: pg.Pool,
  scope: Scope,
  selection: DidSelection,
  order: Pick<DidListQuery, "sort" | "dir">,
  select?: (columns: ExportColumnsSql) => Prisma.Sql,
): Promise<Cursor<T>> {
  return openCursor<T>(pool, exportDidsSql(selection, order, scope, select));
}

/** "AND <the scope>" for a query over `did d` that has a WHERE already. */
function andInScope(scope: Scope): Prisma.Sql {
  return scope.resellerId === null ? Prisma.empty : Prisma.sql`AND ${didScopeSql(scope)}`;
}

/**
 * Inside a transaction: locks the DID's row until commit, so that a concurrent edit or
 * delete waits and then sees the outcome. False when the DID does not exist (any more).
 */
export async function lockDid(tx: DbOrTx, scope: Scope, id: number): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM did d WHERE d.id = ${id} ${andInScope(scope)} FOR UPDATE OF d`;
  return rows.length > 0;
}

export async function findDid(db: DbOrTx, scope: Scope, id: number): Promise<DidDetail | undefined> {
  const [row] = await db.$queryRaw<DidDetail[]>`
    SELECT ${selectColumns}, d.after_hold_status::text AS "afterHoldStatus", d.hold_days AS "holdDays",
      d.hold_until AS "holdUntil", d.client_account_id AS "clientAccountId",
      d.created_at AS "createdAt", d.updated_at AS "updatedAt"
    FROM did d ${joins} WHERE d.id = ${id} ${andInScope(scope)}`;
  return row;
}

/**
 * Which of these numbers exist already, in number order: those in the scope, and how many
 * outside it (numbers are unique across all resellers, but whose they are is not told).
 */
export async function findExistingNumbers(db: DbOrTx, scope: Scope, numbers: string[]): Promise<{ inScope: string[]; elsewhere: number }> {
  if (numbers.length === 0) return { inScope: [], elsewhere: 0 };
  const inScope = scope.resellerId === null ? Prisma.sql`true` : didScopeSql(scope);
  const rows = await db.$queryRaw<{ number: string; inScope: boolean }[]>`
    SELECT d.number, ${inScope} AS "inScope" FROM did d WHERE d.number = ANY(${numbers}::text[]) ORDER BY d.number`;
  return { inScope: rows.filter((r) => r.inScope).map((r) => r.number), elsewhere: rows.filter((r) => !r.inScope).length };
}

export interface NewDids {
  numbers: string[];
  operatorId: number;
  status: DidStatus;
  afterHoldStatus: AfterHoldStatus;
  tag?: string;
  notes?: string;
  batchId: number;
}

/**
 * One set-based INSERT for the whole submission, and its audit events from the inserted
 * rows in the same statement (100,000 rows in a few seconds, most of it maintaining the
 * trigram index). With skipExisting, numbers that someone else created meanwhile are
 * skipped too; otherwise they fail the statement. Returns how many were created.
 */
export async function insertDids(db: DbOrTx, dids: NewDids, skipExisting: boolean, caller: Caller): Promise<number> {
  const onConflict = skipExisting ? Prisma.sql`ON CONFLICT (number) DO NOTHING` : Prisma.empty;
  const events = auditInsertSql(
    caller,
    "create",
    "did",
    Prisma.sql`SELECT i.id AS object_id, o.reseller_id, i.number AS label, ${changesSql({
      operator: [Prisma.sql`NULL::text`, Prisma.sql`o.name::text`],
      status: [Prisma.sql`NULL::text`, Prisma.sql`i.status::text`],
      after_hold_status: [Prisma.sql`NULL::text`, Prisma.sql`i.after_hold_status::text`],
      tag: [Prisma.sql`NULL::text`, Prisma.sql`i.tag::text`],
      notes: [Prisma.sql`NULL::text`, Prisma.sql`i.notes::text`],
    })} AS changes
    FROM inserted i JOIN operator o ON o.id = i.operator_id`,
  );
  return db.$executeRaw`
    WITH inserted AS (
      INSERT INTO did (number, status, operator_id, tag, notes, after_hold_status, batch_id)
      SELECT n, ${dids.status}::"DidStatus", ${dids.operatorId}, ${dids.tag ?? null}, ${dids.notes ?? null},
        ${dids.afterHoldStatus}::"AfterHoldStatus", ${dids.batchId}
      FROM unnest(${dids.numbers}::text[]) WITH ORDINALITY AS input(n, position)
      ORDER BY position
      ${onConflict}
      RETURNING id, number, status, operator_id, tag, notes, after_hold_status
    )
    ${events}`;
}

/** The operation row of a batch (a creation, a mass edit or delete), under the request's id. */
export async function createOperation(db: DbOrTx, kind: "create", caller: Caller): Promise<number> {
  const operation = await db.operation.create({ data: { kind, didCount: 0, createdById: caller.userId, requestId: caller.requestId }, select: { id: true } });
  return operation.id;
}

/** The operation row of a mass change, written once its counts are known. */
export async function recordOperation(db: DbOrTx, kind: "mass_edit" | "mass_delete", caller: Caller, didCount: number, skippedCount: number): Promise<void> {
  await db.operation.create({ data: { kind, didCount, skippedCount, createdById: caller.userId, requestId: caller.requestId, finishedAt: new Date() } });
}

export async function finishOperation(db: DbOrTx, id: number, didCount: number, skippedCount: number): Promise<void> {
  await db.operation.update({ where: { id }, data: { didCount, skippedCount, finishedAt: new Date() } });
}

/** A creation batch, if it exists and holds a DID in scope (another reseller's is not there). */
export async function findBatch(db: DbOrTx, scope: Scope, id: number) {
  // Only a creation or an import is a batch of DIDs to show; a mass edit's operation is not.
  const batch = await db.operation.findUnique({ where: { id } });
  if (batch?.kind !== "create" && batch?.kind !== "import") return undefined;
  if (scope.resellerId === null) return batch;
  const inScope = await db.$queryRaw<unknown[]>`SELECT 1 FROM did d WHERE d.batch_id = ${id} ${andInScope(scope)} LIMIT 1`;
  return inScope.length > 0 ? batch : undefined;
}

/**
 * A change to a set of DIDs: only the fields present change. The single edit sets every
 * field on one DID; a mass edit sets what a person ticked.
 */
export interface DidUpdate {
  operatorId?: number;
  status?: DidStatus;
  tag?: string | null;
  notes?: { mode: "set" | "append"; text: string } | { mode: "clear" };
  holdDays?: number;
  afterHoldStatus?: AfterHoldStatus;
}

/** Why a DID of a selection is left alone: a status rule, or notes that would grow too long. */
export type SkipCode = RefusalCode | "notes-too-long";

/** The value a column takes, as SQL over `did d` (the row before the change). */
function newValuesSql(update: DidUpdate) {
  const notes = update.notes;
  return {
    operator_id: update.operatorId === undefined ? undefined : Prisma.sql`${update.operatorId}::int`,
    status: update.status === undefined ? undefined : Prisma.sql`${update.status}::"DidStatus"`,
    tag: update.tag === undefined ? undefined : Prisma.sql`${update.tag}::varchar`,
    notes:
      notes === undefined
        ? undefined
        : notes.mode === "clear"
          ? Prisma.sql`NULL::varchar`
          : notes.mode === "set"
            ? Prisma.sql`${notes.text}::varchar`
            : Prisma.sql`(CASE WHEN d.notes IS NULL OR d.notes = '' THEN ${notes.text} ELSE d.notes || E'\n' || ${notes.text} END)::varchar`,
    hold_days: update.holdDays === undefined ? undefined : Prisma.sql`${update.holdDays}::int`,
    after_hold_status: update.afterHoldStatus === undefined ? undefined : Prisma.sql`${update.afterHoldStatus}::"AfterHoldStatus"`,
  };
}

function presentColumns(update: DidUpdate): [string, Prisma.Sql][] {
  return Object.entries(newValuesSql(update)).filter((entry): entry is [string, Prisma.Sql] => entry[1] !== undefined);
}

/** SQL over `did d`: the reason this DID is left alone (text), or NULL when it changes. */
function skipReasonSql(update: DidUpdate): Prisma.Sql {
  const reasons: Prisma.Sql[] = [];
  if (update.status !== undefined) reasons.push(manualStatusRefusalSql(update.status));
  if (update.operatorId !== undefined) reasons.push(operatorChangeRefusalSql(update.operatorId));
  if (update.notes?.mode === "append") {
    // The new line between the old notes and the text is only added when there are notes.
    reasons.push(Prisma.sql`CASE WHEN char_length(COALESCE(d.notes, '')) + (CASE WHEN COALESCE(d.notes, '') = '' THEN 0 ELSE 1 END) + ${[...update.notes.text].length}::int > ${notesMaxLength}::int THEN 'notes-too-long' END`);
  }
  return reasons.length === 0 ? Prisma.sql`NULL::text` : Prisma.sql`COALESCE(${Prisma.join(reasons)})`;
}

/** SQL over `did d`: true when the update would change something on this DID. */
function differsSql(update: DidUpdate): Prisma.Sql {
  const columns = presentColumns(update);
  if (columns.length === 0) return Prisma.sql`FALSE`;
  return Prisma.join(
    columns.map(([column, value]) => Prisma.sql`d.${Prisma.raw(column)} IS DISTINCT FROM ${value}`),
    " OR ",
  );
}

/** How the skipped DIDs of one reason are shown: the accounts holding the most of them. */
export const skippedAccountsShown = 5;

/** What a set of DIDs would undergo, or underwent: how many change, are already so, or are skipped and why. */
export interface SelectionPreview {
  matched: number;
  willChange: number;
  unchanged: number;
  skipped: { code: SkipCode; count: number; accounts: { clientName: string; accountName: string; count: number }[]; moreAccounts: number }[];
}

interface OutcomeRow {
  reason: SkipCode | null;
  differs: boolean;
  clientName: string | null;
  accountName: string | null;
  n: number;
  /** All DIDs of this reason and differs, and how many accounts hold them (window sums). */
  groupTotal: number;
  accountCount: number;
}

/**
 * Counts rows `s(reason, differs, client_account_id)` by reason, with the accounts that
 * hold the most skipped DIDs (at most skippedAccountsShown per reason, so a reason spread
 * over thousands of accounts stays one line).
 */
function outcomeCountsSql(source: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT g.reason, g.differs, c.name AS "clientName", ca.name AS "accountName", g.n, g."groupTotal", g."accountCount"
    FROM (
      SELECT *, sum(n) OVER (PARTITION BY reason, differs)::int AS "groupTotal", count(*) OVER (PARTITION BY reason, differs)::int AS "accountCount",
        row_number() OVER (PARTITION BY reason, differs ORDER BY n DESC, account_id) AS rank
      FROM (
        SELECT s.reason, s.differs, CASE WHEN s.reason IS NOT NULL THEN s.client_account_id END AS account_id, count(*)::int AS n
        FROM (${source}) s GROUP BY 1, 2, 3
      ) grouped
    ) g
    LEFT JOIN client_account ca ON ca.id = g.account_id
    LEFT JOIN client c ON c.id = ca.client_id
    WHERE g.rank <= ${skippedAccountsShown}
    ORDER BY g."groupTotal" DESC, g.n DESC`;
}

function toPreview(rows: OutcomeRow[]): SelectionPreview {
  const preview: SelectionPreview = { matched: 0, willChange: 0, unchanged: 0, skipped: [] };
  const seen = new Set<string>();
  for (const row of rows) {
    const key = `${row.reason}/${row.differs}`;
    const first = !seen.has(key);
    seen.add(key);
    if (first) preview.matched += row.groupTotal;
    if (row.reason === null) {
      if (first && row.differs) preview.willChange += row.groupTotal;
      else if (first) preview.unchanged += row.groupTotal;
      continue;
    }
    let group = preview.skipped.find((g) => g.code === row.reason);
    if (!group) preview.skipped.push((group = { code: row.reason, count: 0, accounts: [], moreAccounts: 0 }));
    if (first) group.count += row.groupTotal;
    if (row.clientName !== null) {
      group.accounts.push({ clientName: row.clientName, accountName: row.accountName ?? "", count: row.n });
      if (first) group.moreAccounts += Math.max(0, row.accountCount - skippedAccountsShown);
    }
  }
  return preview;
}

export async function countSelection(db: DbOrTx, scope: Scope, selection: DidSelection): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM did d WHERE ${selectionConditionSql(selection, scope)}`;
  return row?.n ?? 0;
}

/** What an update of the selection would do, without doing it. */
export async function previewUpdate(db: DbOrTx, scope: Scope, selection: DidSelection, update: DidUpdate): Promise<SelectionPreview> {
  const source = Prisma.sql`SELECT ${skipReasonSql(update)} AS reason, ${differsSql(update)} AS differs, d.client_account_id FROM did d WHERE ${selectionConditionSql(selection, scope)}`;
  return toPreview(await db.$queryRaw<OutcomeRow[]>(outcomeCountsSql(source)));
}

/** What a delete of the selection would do, without doing it. */
export async function previewDelete(db: DbOrTx, scope: Scope, selection: DidSelection): Promise<SelectionPreview> {
  const source = Prisma.sql`SELECT ${deleteRefusalSql()} AS reason, TRUE AS differs, d.client_account_id FROM did d WHERE ${selectionConditionSql(selection, scope)}`;
  return toPreview(await db.$queryRaw<OutcomeRow[]>(outcomeCountsSql(source)));
}

/** What a write did: the same shape as its preview, counted on the rows as they were locked. */
export type WriteOutcome = SelectionPreview & { changed: number };

function toWriteOutcome(rows: OutcomeRow[]): WriteOutcome {
  const preview = toPreview(rows);
  return { ...preview, changed: preview.willChange };
}

/**
 * Updates the DIDs of the selection that the rules allow and that actually change, and
 * records one audit event per changed DID with its old -> new values, in one statement.
 * Every selected row is locked first, in id order, so two overlapping updates run one
 * after the other instead of deadlocking; the rules and "does it change" are evaluated on
 * the locked rows (as another writer left them), and the counts returned are of those
 * rows, so what is reported is what happened.
 *
 * When the operator changes to another reseller's (an admin's move), the event belongs to
 * the new reseller and does not name the old operator; the caller records the old
 * reseller's side (recordResellerMoves).
 */
export async function updateDids(tx: DbOrTx, scope: Scope, selection: DidSelection, update: DidUpdate, caller: Caller, action: AuditAction): Promise<WriteOutcome> {
  const columns = presentColumns(update);
  const assignments = Prisma.join(
    [...columns.map(([column, value]) => Prisma.sql`${Prisma.raw(column)} = ${value}`), Prisma.sql`updated_at = now()`],
    ", ",
  );
  // Over the changed rows `t` (old values, and the new ones as new_*) and the new operator `n`.
  const pairs: Record<string, [Prisma.Sql, Prisma.Sql]> = {};
  for (const [column] of columns) {
    if (column === "operator_id") {
      pairs.operator = [Prisma.sql`CASE WHEN n.reseller_id = t.reseller_id THEN t.operator_name ELSE '(another reseller)' END`, Prisma.sql`n.name::text`];
    } else if (column === "hold_days") pairs.hold_days = [Prisma.sql`t.hold_days`, Prisma.sql`t.new_hold_days`];
    else pairs[column] = [Prisma.sql`${Prisma.raw(`t.${column}`)}::text`, Prisma.sql`${Prisma.raw(`t.new_${column}`)}::text`];
  }
  const rows = await tx.$queryRaw<OutcomeRow[]>`
    WITH locked AS (
      SELECT d.id, d.number, d.status, d.tag, d.notes, d.hold_days, d.after_hold_status, d.client_account_id,
        o.name AS operator_name, o.reseller_id, ${skipReasonSql(update)} AS reason, (${differsSql(update)}) AS differs
      FROM did d JOIN operator o ON o.id = d.operator_id
      WHERE ${selectionConditionSql(selection, scope)}
      ORDER BY d.id
      FOR UPDATE OF d
    ), changed AS (
      UPDATE did d SET ${assignments}
      FROM locked t WHERE d.id = t.id AND t.reason IS NULL AND t.differs
      RETURNING d.id, d.operator_id, t.number, t.reseller_id, t.operator_name, t.status, t.tag, t.notes, t.hold_days, t.after_hold_status,
        d.status AS new_status, d.tag AS new_tag, d.notes AS new_notes, d.hold_days AS new_hold_days, d.after_hold_status AS new_after_hold_status
    ), events AS (
      ${auditInsertSql(
        caller,
        action,
        "did",
        Prisma.sql`SELECT t.id AS object_id, n.reseller_id, t.number AS label, ${changesSql(pairs)} AS changes FROM changed t JOIN operator n ON n.id = t.operator_id`,
      )}
      RETURNING 1
    )
    ${outcomeCountsSql(Prisma.sql`SELECT reason, differs, client_account_id FROM locked`)}`;
  return toWriteOutcome(rows);
}

/**
 * Deletes the DIDs of the selection that the rules allow, recording each one's last state
 * in its delete event, in one statement (rows locked in id order and counted as locked, as
 * for updateDids).
 */
export async function deleteDids(tx: DbOrTx, scope: Scope, selection: DidSelection, caller: Caller, action: AuditAction): Promise<WriteOutcome> {
  const last = (expression: Prisma.Sql): [Prisma.Sql, Prisma.Sql] => [expression, Prisma.sql`NULL::text`];
  const rows = await tx.$queryRaw<OutcomeRow[]>`
    WITH locked AS (
      SELECT d.id, d.client_account_id, ${deleteRefusalSql()} AS reason, TRUE AS differs FROM did d
      WHERE ${selectionConditionSql(selection, scope)}
      ORDER BY d.id
      FOR UPDATE OF d
    ), gone AS (
      DELETE FROM did d USING locked t WHERE d.id = t.id AND t.reason IS NULL
      RETURNING d.id, d.number, d.status, d.operator_id, d.tag, d.notes, d.hold_days, d.after_hold_status
    ), events AS (
      ${auditInsertSql(
        caller,
        action,
        "did",
        Prisma.sql`SELECT g.id AS object_id, o.reseller_id, g.number AS label, ${changesSql({
          number: last(Prisma.sql`g.number::text`),
          operator: last(Prisma.sql`o.name::text`),
          status: last(Prisma.sql`g.status::text`),
          after_hold_status: last(Prisma.sql`g.after_hold_status::text`),
          hold_days: [Prisma.sql`g.hold_days`, Prisma.sql`NULL::int`],
          tag: last(Prisma.sql`g.tag::text`),
          notes: last(Prisma.sql`g.notes::text`),
        })} AS changes
        FROM gone g JOIN operator o ON o.id = g.operator_id`,
      )}
      RETURNING 1
    )
    ${outcomeCountsSql(Prisma.sql`SELECT reason, differs, client_account_id FROM locked`)}`;
  return toWriteOutcome(rows);
}
