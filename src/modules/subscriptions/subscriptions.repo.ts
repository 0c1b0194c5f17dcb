// The SQL of subscriptions: a client subscribed to a package, from a start day to an
// optional end day (the last day it is in force), active or not.
import type { DbOrTx } from "../../db/prisma.js";
import type { Scope } from "../../shared/actor.js";

export interface SubscriptionRow {
  id: number;
  clientId: number;
  packageId: number;
  packageName: string;
  resellerId: number;
  /** YYYY-MM-DD */
  startDate: string;
  endDate: string | null;
  active: boolean;
  deactivatedAt: Date | null;
  didLimit: number;
  allowedTags: string[];
  defaultHoldDays: number;
  /** DIDs it holds: in use, and on hold after its deactivation. */
  held: number;
}

const columns = `s.id, s.client_id AS "clientId", s.package_id AS "packageId", p.name AS "packageName", s.reseller_id AS "resellerId",
  to_char(s.start_date, 'YYYY-MM-DD') AS "startDate", to_char(s.end_date, 'YYYY-MM-DD') AS "endDate", s.active, s.deactivated_at AS "deactivatedAt",
  p.did_limit AS "didLimit", p.allowed_tags::text[] AS "allowedTags", p.default_hold_days AS "defaultHoldDays",
  (SELECT count(*)::int FROM did d WHERE d.subscription_id = s.id) AS held`;

export async function listClientSubscriptions(db: DbOrTx, clientId: number): Promise<SubscriptionRow[]> {
  return db.$queryRawUnsafe<SubscriptionRow[]>(
    `SELECT ${columns} FROM subscription s JOIN package p ON p.id = s.package_id WHERE s.client_id = $1 ORDER BY s.active DESC, s.start_date DESC, s.id DESC`,
    clientId,
  );
}

/**
 * Locks the subscription (assignments and (de)activations of it then run one at a time)
 * and shares a lock on its package, so that an edit of the package's DID limit waits for
 * the assignment (and the assignment for the edit).
 */
export async function lockSubscription(tx: DbOrTx, scope: Scope, id: number): Promise<SubscriptionRow | null> {
  const [row] = await tx.$queryRawUnsafe<SubscriptionRow[]>(
    `SELECT ${columns} FROM subscription s JOIN package p ON p.id = s.package_id
     WHERE s.id = $1 AND ($2::int IS NULL OR s.reseller_id = $2) FOR UPDATE OF s FOR SHARE OF p`,
    id,
    scope.resellerId,
  );
  return row ?? null;
}

export async function insertSubscription(tx: DbOrTx, data: { clientId: number; packageId: number; resellerId: number; startDate: string; endDate: string | null }): Promise<number> {
  const [row] = await tx.$queryRaw<{ id: number }[]>`
    INSERT INTO subscription (client_id, package_id, reseller_id, start_date, end_date)
    VALUES (${data.clientId}, ${data.packageId}, ${data.resellerId}, ${data.startDate}::date, ${data.endDate}::date) RETURNING id`;
  return row!.id;
}

export async function setSubscriptionActive(tx: DbOrTx, id: number, active: boolean, now: Date): Promise<void> {
  await tx.$executeRaw`UPDATE subscription SET active = ${active}, deactivated_at = ${active ? null : now} WHERE id = ${id}`;
}

/**
 * Active subscriptions whose last day is before `today`, locked, skipping those another
 * instance is deactivating: the scheduler's next batch.
 */
export async function lockEndedSubscriptions(tx: DbOrTx, today: string, batch: number): Promise<number[]> {
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM subscription WHERE active AND end_date < ${today}::date ORDER BY id LIMIT ${batch} FOR UPDATE SKIP LOCKED`;
  return rows.map((r) => r.id);
}

/** The packages a client of `resellerId` may subscribe to. */
export async function packagesForReseller(db: DbOrTx, resellerId: number): Promise<{ id: number; name: string; didLimit: number }[]> {
  return db.package.findMany({ where: { resellerId }, select: { id: true, name: true, didLimit: true }, orderBy: [{ name: "asc" }, { id: "asc" }] });
}

/** Inside a transaction: the package, kept from being deleted until commit (a subscription to it is being added). */
export async function holdPackage(tx: DbOrTx, id: number): Promise<{ id: number; name: string; resellerId: number } | undefined> {
  const [row] = await tx.$queryRaw<{ id: number; name: string; resellerId: number }[]>`SELECT id, name, reseller_id AS "resellerId" FROM package WHERE id = ${id} FOR KEY SHARE`;
  return row;
}
