// The only place that reads and writes packages (what a client subscribes to).
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";
import { resellerWhere, type Scope } from "../../shared/actor.js";
import { escapeLike } from "../../shared/sql.js";
import type { PackageListQuery } from "./package-filters.js";

export interface PackageRow {
  id: number;
  name: string;
  resellerId: number;
  resellerName: string;
  didLimit: number;
  allowedTags: string[];
  defaultHoldDays: number;
  activeSubscriptions: number;
}

function packageWhere(scope: Scope, filter: PackageListQuery["filter"]): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (scope.resellerId !== null) conditions.push(Prisma.sql`p.reseller_id = ${scope.resellerId}`);
  if (filter.name) conditions.push(Prisma.sql`p.name ILIKE ${`%${escapeLike(filter.name)}%`}`);
  if (filter.resellerId !== undefined) conditions.push(Prisma.sql`p.reseller_id = ${filter.resellerId}`);
  return conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
}

export async function listPackages(db: DbOrTx, scope: Scope, query: PackageListQuery): Promise<{ rows: PackageRow[]; total: number }> {
  const where = packageWhere(scope, query.filter);
  const [rows, [counted]] = await Promise.all([
    // The count per row goes through the subscription's package index, so a page costs only its own subscriptions.
    db.$queryRaw<PackageRow[]>`
      SELECT p.id, p.name, r.id AS "resellerId", r.name AS "resellerName", p.did_limit AS "didLimit",
        p.allowed_tags::text[] AS "allowedTags", p.default_hold_days AS "defaultHoldDays",
        (SELECT count(*)::int FROM subscription s WHERE s.package_id = p.id AND s.active) AS "activeSubscriptions"
      FROM package p JOIN reseller r ON r.id = p.reseller_id
      ${where}
      ORDER BY lower(p.name), p.id
      LIMIT ${query.per} OFFSET ${(query.page - 1) * query.per}`,
    db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM package p ${where}`,
  ]);
  return { rows, total: counted?.total ?? 0 };
}

export async function findPackage(db: DbOrTx, scope: Scope, id: number) {
  return (await db.package.findFirst({ where: { AND: [{ id }, resellerWhere(scope)] }, include: { reseller: true } })) ?? undefined;
}

export type PackageWithReseller = NonNullable<Awaited<ReturnType<typeof findPackage>>>;

/**
 * Inside a transaction: the package, locked until commit. FOR UPDATE conflicts with every
 * row lock, so a new subscription to it (whose foreign-key check takes a key-share lock)
 * and any assignment that locks the package to read its limit wait: the counts a delete
 * or an edit takes after this lock cannot be overtaken.
 */
export async function lockPackage(tx: DbOrTx, scope: Scope, id: number): Promise<PackageWithReseller | undefined> {
  const andInScope = scope.resellerId === null ? Prisma.empty : Prisma.sql`AND reseller_id = ${scope.resellerId}`;
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM package WHERE id = ${id} ${andInScope} FOR UPDATE`;
  return rows.length > 0 ? findPackage(tx, scope, id) : undefined;
}

/** Whether the reseller has another package of this name, ignoring case (as the unique index does). */
export async function packageNameTaken(db: DbOrTx, resellerId: number, name: string, exceptId?: number): Promise<boolean> {
  const except = exceptId === undefined ? Prisma.empty : Prisma.sql`AND id <> ${exceptId}`;
  const rows = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM package WHERE reseller_id = ${resellerId} AND lower(name) = lower(${name}) ${except} LIMIT 1`;
  return rows.length > 0;
}

export interface PackageData {
  name: string;
  didLimit: number;
  allowedTags: string[];
  defaultHoldDays: number;
}

export async function createPackage(db: DbOrTx, data: PackageData & { resellerId: number }) {
  return db.package.create({ data });
}

export async function updatePackage(db: DbOrTx, id: number, data: PackageData): Promise<void> {
  await db.package.update({ where: { id }, data });
}

export async function countSubscriptions(db: DbOrTx, packageId: number): Promise<{ total: number; active: number }> {
  const [row] = await db.$queryRaw<{ total: number; active: number }[]>`
    SELECT count(*)::int AS total, (count(*) FILTER (WHERE active))::int AS active FROM subscription WHERE package_id = ${packageId}`;
  return row ?? { total: 0, active: 0 };
}

/** The most DIDs that one subscription to the package holds (0 when none holds any). */
export async function mostDidsInOneSubscription(db: DbOrTx, packageId: number): Promise<number> {
  const [row] = await db.$queryRaw<{ most: number }[]>`
    SELECT coalesce(max(n), 0)::int AS most FROM (
      SELECT count(*) AS n FROM did d
      WHERE d.subscription_id IN (SELECT s.id FROM subscription s WHERE s.package_id = ${packageId})
      GROUP BY d.subscription_id) held`;
  return row?.most ?? 0;
}

export async function deletePackage(db: DbOrTx, scope: Scope, id: number): Promise<void> {
  const { count } = await db.package.deleteMany({ where: { AND: [{ id }, resellerWhere(scope)] } });
  if (count !== 1) throw new Error(`package ${id} is not in scope`);
}

