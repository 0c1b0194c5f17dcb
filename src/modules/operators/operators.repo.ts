// The only place that reads and writes operators (DID providers).
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";
import { escapeLike } from "../../shared/sql.js";
import { resellerWhere, type Scope } from "../../shared/actor.js";

function andResellerInScope(scope: Scope): Prisma.Sql {
  return scope.resellerId === null ? Prisma.empty : Prisma.sql`AND reseller_id = ${scope.resellerId}`;
}
import type { OperatorListQuery } from "./operator-filters.js";

export interface OperatorRow {
  id: number;
  name: string;
  resellerId: number;
  resellerName: string;
  didCount: number;
}

function operatorWhere(scope: Scope, query: OperatorListQuery["filter"]): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (scope.resellerId !== null) conditions.push(Prisma.sql`o.reseller_id = ${scope.resellerId}`);
  if (query.name) conditions.push(Prisma.sql`o.name ILIKE ${`%${escapeLike(query.name)}%`}`);
  if (query.resellerId !== undefined) conditions.push(Prisma.sql`o.reseller_id = ${query.resellerId}`);
  return conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
}

export async function listOperators(db: DbOrTx, scope: Scope, query: OperatorListQuery): Promise<{ rows: OperatorRow[]; total: number }> {
  const where = operatorWhere(scope, query.filter);
  const [rows, [counted]] = await Promise.all([
    // The DID count is a per-row index-only count, so a page of operators costs only its own DIDs.
    db.$queryRaw<OperatorRow[]>`
      SELECT o.id, o.name, r.id AS "resellerId", r.name AS "resellerName",
        (SELECT count(*)::int FROM did d WHERE d.operator_id = o.id) AS "didCount"
      FROM operator o JOIN reseller r ON r.id = o.reseller_id
      ${where}
      ORDER BY lower(o.name), o.id
      LIMIT ${query.per} OFFSET ${(query.page - 1) * query.per}`,
    db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM operator o ${where}`,
  ]);
  return { rows, total: counted?.total ?? 0 };
}

/**
 * Inside a transaction: keeps the operator from being deleted until commit (the same lock
 * a foreign-key check takes), so DIDs can be written for it. Undefined when it does not exist.
 */
export async function holdOperator(tx: DbOrTx, scope: Scope, id: number): Promise<{ resellerId: number } | undefined> {
  const [row] = await tx.$queryRaw<{ resellerId: number }[]>`SELECT reseller_id AS "resellerId" FROM operator WHERE id = ${id} ${andResellerInScope(scope)} FOR KEY SHARE`;
  return row;
}

/**
 * Inside a transaction: locks the operator for deletion. New DIDs for it wait until commit,
 * and a count taken after this lock cannot miss a DID created meanwhile.
 */
export async function lockOperatorForDelete(tx: DbOrTx, scope: Scope, id: number): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM operator WHERE id = ${id} ${andResellerInScope(scope)} FOR UPDATE`;
  return rows.length > 0;
}

export async function findOperator(db: DbOrTx, scope: Scope, id: number) {
  return (await db.operator.findFirst({ where: { AND: [{ id }, resellerWhere(scope)] }, include: { reseller: true } })) ?? undefined;
}

/** Every operator in scope, for the select boxes of the inventory's search and forms. */
export async function listOperatorOptions(db: DbOrTx, scope: Scope) {
  return db.operator.findMany({
    where: resellerWhere(scope),
    select: { id: true, name: true, reseller: { select: { id: true, name: true } } },
    orderBy: [{ reseller: { name: "asc" } }, { name: "asc" }],
  });
}

export async function operatorNameTaken(db: DbOrTx, resellerId: number, name: string): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM operator WHERE reseller_id = ${resellerId} AND lower(name) = lower(${name}) LIMIT 1`;
  return rows.length > 0;
}

export async function createOperator(db: DbOrTx, data: { name: string; resellerId: number }) {
  return db.operator.create({ data });
}

export async function countOperatorDids(db: DbOrTx, operatorId: number): Promise<number> {
  return db.did.count({ where: { operatorId } });
}

export async function deleteOperator(db: DbOrTx, scope: Scope, id: number): Promise<void> {
  const { count } = await db.operator.deleteMany({ where: { AND: [{ id }, resellerWhere(scope)] } });
  if (count !== 1) throw new Error(`operator ${id} is not in scope`);
}
