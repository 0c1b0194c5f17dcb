// The only place that reads and writes DIDs. The list uses SQL built from the shared
// filter (did-filters.ts) because one query with joins beats several ORM round trips on
// a million rows, and because Prisma cannot say length() or the trigram-friendly LIKE.
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";
import { didScopeSql, type Scope } from "../../shared/actor.js";
import { didOrderSql, didSortJoinsSql, didWhereSql, type DidFilter, type DidListQuery, type DidStatus } from "./did-filters.js";

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
}

export interface DidDetail extends DidRow {
  afterHoldStatus: AfterHoldStatus;
  holdDays: number;
  holdUntil: Date | null;
  clientAccountId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

const selectColumns = Prisma.sql`
  d.id, d.number, d.status::text AS status, d.operator_id AS "operatorId", o.name AS "operatorName",
  r.id AS "resellerId", r.name AS "resellerName", d.tag, d.notes,
  c.id AS "clientId", c.name AS "clientName", ca.name AS "accountName"`;

const joins = Prisma.sql`
  JOIN operator o ON o.id = d.operator_id
  JOIN reseller r ON r.id = o.reseller_id
  LEFT JOIN client_account ca ON ca.id = d.client_account_id
  LEFT JOIN client c ON c.id = ca.client_id`;

/**
 * The SQL of one list page (exported so the benchmark runs exactly what the app runs).
 * The page's ids are picked first, joining only what the sort needs, and only those rows
 * are then joined for display: page 1,000 no longer joins the 49,950 rows it skips.
 */
export function listDidsSql(query: DidListQuery, scope: Scope): Prisma.Sql {
  const order = didOrderSql(query.sort, query.dir);
  const offset = (query.page - 1) * query.per;
  return Prisma.sql`
    SELECT ${selectColumns}
    FROM (
      SELECT d.id FROM did d ${didSortJoinsSql(query.sort)} ${didWhereSql(query.filter, scope)} ${order} LIMIT ${query.per} OFFSET ${offset}
    ) page
    JOIN did d ON d.id = page.id
    ${joins}
    ${order}`;
}

/** The SQL of the total count that goes with a list page. */
export function countDidsSql(filter: DidFilter, scope: Scope): Prisma.Sql {
  return Prisma.sql`SELECT count(*)::int AS total FROM did d ${didWhereSql(filter, scope)}`;
}

export async function listDids(db: DbOrTx, scope: Scope, query: DidListQuery): Promise<{ rows: DidRow[]; total: number }> {
  // Two statements on two pooled connections, in parallel: the page and the total.
  const [rows, counted] = await Promise.all([db.$queryRaw<DidRow[]>(listDidsSql(query, scope)), countDids(db, scope, query.filter)]);
  return { rows, total: counted };
}

export async function countDids(db: DbOrTx, scope: Scope, filter: DidFilter): Promise<number> {
  const [row] = await db.$queryRaw<{ total: number }[]>(countDidsSql(filter, scope));
  return row?.total ?? 0;
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
  tag: string | undefined;
  notes: string | undefined;
  batchId: number;
}

/**
 * One set-based INSERT for the whole submission (100,000 rows in about two seconds, most
 * of it maintaining the trigram index). With skipExisting, numbers that someone else
 * created meanwhile are skipped too; otherwise they fail the statement.
 */
export async function insertDids(db: DbOrTx, dids: NewDids, skipExisting: boolean): Promise<number> {
  const onConflict = skipExisting ? Prisma.sql`ON CONFLICT (number) DO NOTHING` : Prisma.empty;
  return db.$executeRaw`
    INSERT INTO did (number, status, operator_id, tag, notes, after_hold_status, batch_id)
    SELECT n, ${dids.status}::"DidStatus", ${dids.operatorId}, ${dids.tag ?? null}, ${dids.notes ?? null},
      ${dids.afterHoldStatus}::"AfterHoldStatus", ${dids.batchId}
    FROM unnest(${dids.numbers}::text[]) WITH ORDINALITY AS input(n, position)
    ORDER BY position
    ${onConflict}`;
}

export async function createBatch(db: DbOrTx, kind: string, createdById: number): Promise<number> {
  const batch = await db.operation.create({ data: { kind, didCount: 0, createdById }, select: { id: true } });
  return batch.id;
}

export async function setBatchCount(db: DbOrTx, batchId: number, didCount: number): Promise<void> {
  await db.operation.update({ where: { id: batchId }, data: { didCount } });
}

/** A creation batch, if it exists and holds a DID in scope (another reseller's is not there). */
export async function findBatch(db: DbOrTx, scope: Scope, id: number) {
  const batch = await db.operation.findUnique({ where: { id } });
  if (!batch || scope.resellerId === null) return batch ?? undefined;
  const inScope = await db.$queryRaw<unknown[]>`SELECT 1 FROM did d WHERE d.batch_id = ${id} ${andInScope(scope)} LIMIT 1`;
  return inScope.length > 0 ? batch : undefined;
}

export interface DidChanges {
  operatorId: number;
  status: DidStatus;
  afterHoldStatus: AfterHoldStatus;
  holdDays: number;
  holdUntil: Date | null;
  tag: string | null;
  notes: string | null;
}

/** Prisma's where for the DIDs of a scope. */
function didScopeWhere(scope: Scope) {
  return scope.resellerId === null ? {} : { operator: { resellerId: scope.resellerId } };
}

/** Writes are scoped too: a caller that forgot to check first still cannot reach out. */
export async function updateDid(db: DbOrTx, scope: Scope, id: number, changes: DidChanges): Promise<void> {
  const { count } = await db.did.updateMany({ where: { AND: [{ id }, didScopeWhere(scope)] }, data: changes });
  if (count !== 1) throw new Error(`DID ${id} is not in scope`);
}

export async function deleteDid(db: DbOrTx, scope: Scope, id: number): Promise<void> {
  const { count } = await db.did.deleteMany({ where: { AND: [{ id }, didScopeWhere(scope)] } });
  if (count !== 1) throw new Error(`DID ${id} is not in scope`);
}
