// The SQL of a DID's life with a client: assignment, block and unblock, moves between a
// client's accounts, release, the hold a deactivated subscription puts its DIDs on,
// reactivation, and the end of a hold. Every change is one statement that locks the DIDs
// in id order, changes them and writes one audit event per DID from the same rows, as
// the mass edit does (dids.repo.ts). The rules these statements apply are written in
// did-status-rules.ts; the service decides which statement runs.
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";
import type { Caller } from "../../shared/actor.js";
import { auditInsertSql, changesSql, type AuditAction } from "../audit/audit-log.js";
import type { DidStatus } from "../dids/did-filters.js";
import { assignableSql, effectiveHoldDaysSql } from "../dids/did-status-rules.js";

/** A DID as an assignment sees it, locked. */
export interface LockedDid {
  id: number;
  number: string;
  status: DidStatus;
  tag: string | null;
  clientAccountId: number | null;
  subscriptionId: number | null;
  /** The operator's reseller. */
  resellerId: number;
  /** The client of its account, when assigned. */
  clientId: number | null;
}

/** Locks the DIDs (in id order, so that two writers queue instead of deadlocking) and reads them. */
export async function lockDids(tx: DbOrTx, ids: number[]): Promise<LockedDid[]> {
  if (ids.length === 0) return [];
  return tx.$queryRaw<LockedDid[]>`
    SELECT d.id, d.number, d.status::text AS status, d.tag, d.client_account_id AS "clientAccountId", d.subscription_id AS "subscriptionId",
      o.reseller_id AS "resellerId", a.client_id AS "clientId"
    FROM did d JOIN operator o ON o.id = d.operator_id LEFT JOIN client_account a ON a.id = d.client_account_id
    WHERE d.id = ANY(${ids}::int[])
    ORDER BY d.id
    FOR UPDATE OF d`;
}

export interface ChangedDid {
  id: number;
  number: string;
  oldStatus: DidStatus;
  newStatus: DidStatus;
}

interface Transition {
  /** Which DIDs: a condition over `did d` and its operator `o`. */
  where: Prisma.Sql;
  /**
   * The new values, as `column = expression` over the locked row `t`: t.status,
   * t.client_account_id, t.subscription_id, t.after_hold_status and t.days (the hold a
   * release or a deactivation gives it, from did-status-rules.ts).
   */
  set: Prisma.Sql;
  action: AuditAction;
  caller: Caller;
  /** Lock at most this many of the rows that match (oldest hold first), skipping those another writer holds: the hold scheduler's batches. */
  batch?: number;
}

/**
 * Changes the DIDs a transition picks and records an event per DID naming what changed:
 * status, hold end, client / account and package. Returns the DIDs changed.
 */
async function transition(tx: DbOrTx, t: Transition): Promise<ChangedDid[]> {
  // A batch takes the oldest holds first, reading did_hold_until_idx in order and stopping
  // at its size (it skips what others hold instead of waiting, so it needs no lock order);
  // a whole change locks in id order.
  const lockClause = t.batch === undefined ? Prisma.sql`ORDER BY d.id FOR UPDATE OF d` : Prisma.sql`ORDER BY d.hold_until LIMIT ${t.batch} FOR UPDATE OF d SKIP LOCKED`;
  const accountLabel = (alias: string) => Prisma.raw(`(${alias}c.name || ' / ' || ${alias}a.name)`);
  return tx.$queryRaw<ChangedDid[]>`
    WITH locked AS (
      SELECT d.id, d.number, d.status, d.client_account_id, d.subscription_id, d.hold_until, d.after_hold_status, o.reseller_id,
        ${effectiveHoldDaysSql()} AS days
      FROM did d JOIN operator o ON o.id = d.operator_id
        LEFT JOIN subscription s ON s.id = d.subscription_id LEFT JOIN package p ON p.id = s.package_id
      WHERE ${t.where}
      ${lockClause}
    ), changed AS (
      UPDATE did d SET ${t.set}, updated_at = now()
      FROM locked t WHERE d.id = t.id
      RETURNING d.id, t.number, t.reseller_id, t.status AS old_status, d.status AS new_status, t.hold_until AS old_hold_until, d.hold_until AS new_hold_until,
        t.client_account_id AS old_account, d.client_account_id AS new_account, t.subscription_id AS old_subscription, d.subscription_id AS new_subscription
    ), events AS (
      ${auditInsertSql(
        t.caller,
        t.action,
        "did",
        Prisma.sql`SELECT c.id AS object_id, c.reseller_id, c.number AS label, ${changesSql({
          status: [Prisma.sql`c.old_status::text`, Prisma.sql`c.new_status::text`],
          hold_until: [Prisma.sql`to_char(c.old_hold_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')`, Prisma.sql`to_char(c.new_hold_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')`],
          client: [Prisma.sql`${accountLabel("o")}::text`, Prisma.sql`${accountLabel("n")}::text`],
          package: [Prisma.sql`op.name::text`, Prisma.sql`np.name::text`],
        })} AS changes
        FROM changed c
          LEFT JOIN client_account oa ON oa.id = c.old_account LEFT JOIN client oc ON oc.id = oa.client_id
          LEFT JOIN client_account na ON na.id = c.new_account LEFT JOIN client nc ON nc.id = na.client_id
          LEFT JOIN subscription os ON os.id = c.old_subscription LEFT JOIN package op ON op.id = os.package_id
          LEFT JOIN subscription ns ON ns.id = c.new_subscription LEFT JOIN package np ON np.id = ns.package_id`,
      )}
      RETURNING 1
    )
    SELECT id, number, old_status::text AS "oldStatus", new_status::text AS "newStatus" FROM changed ORDER BY number`;
}

/** Assigns the DIDs (checked and locked by the caller) to an account under a subscription: active from now. */
export function assignDids(tx: DbOrTx, ids: number[], accountId: number, subscriptionId: number, now: Date, caller: Caller): Promise<ChangedDid[]> {
  return transition(tx, {
    where: Prisma.sql`d.id = ANY(${ids}::int[])`,
    set: Prisma.sql`status = 'active', client_account_id = ${accountId}, subscription_id = ${subscriptionId}, assigned_at = ${now}, hold_until = NULL`,
    action: "assign",
    caller,
  });
}

/** Active <-> blocked, for a client's DIDs that are assigned and not on hold. */
export function setBlocked(tx: DbOrTx, id: number, blocked: boolean, caller: Caller): Promise<ChangedDid[]> {
  const from = blocked ? "active" : "blocked";
  return transition(tx, {
    where: Prisma.sql`d.id = ${id} AND d.status = ${from}::"DidStatus" AND d.client_account_id IS NOT NULL`,
    set: Prisma.sql`status = ${blocked ? "blocked" : "active"}::"DidStatus"`,
    action: blocked ? "block" : "unblock",
    caller,
  });
}

/** To another account of the same client (checked by the caller); status and subscription stay. */
export function moveDid(tx: DbOrTx, id: number, accountId: number, caller: Caller): Promise<ChangedDid[]> {
  return transition(tx, {
    where: Prisma.sql`d.id = ${id} AND d.client_account_id IS NOT NULL AND d.client_account_id <> ${accountId}`,
    set: Prisma.sql`client_account_id = ${accountId}`,
    action: "move",
    caller,
  });
}

/**
 * The end of a DID's use, by hand (release) or by its subscription's deactivation: on hold
 * for its hold days (the DID's own, else the package's), or with none straight to its
 * after-hold status, free of the client. A released DID leaves its subscription (it no
 * longer counts against the package, and a reactivation does not bring it back); one held
 * by a deactivation keeps it, so that a reactivation can.
 */
function endUseSql(now: Date, keepSubscription: boolean): Prisma.Sql {
  return Prisma.sql`
    status = CASE WHEN t.days > 0 THEN 'hold'::"DidStatus" ELSE t.after_hold_status::text::"DidStatus" END,
    hold_until = CASE WHEN t.days > 0 THEN ${now}::timestamptz + make_interval(days => t.days) END,
    client_account_id = CASE WHEN t.days > 0 THEN t.client_account_id END,
    subscription_id = ${keepSubscription ? Prisma.sql`CASE WHEN t.days > 0 THEN t.subscription_id END` : Prisma.sql`NULL`},
    assigned_at = CASE WHEN t.days > 0 THEN d.assigned_at END`;
}

export function releaseDid(tx: DbOrTx, id: number, now: Date, caller: Caller): Promise<ChangedDid[]> {
  return transition(tx, {
    where: Prisma.sql`d.id = ${id} AND d.status IN ('active', 'blocked') AND d.client_account_id IS NOT NULL`,
    set: endUseSql(now, false),
    action: "release",
    caller,
  });
}

/** A deactivated subscription's DIDs in use go on hold (or straight to their after-hold status). */
export function holdSubscriptionDids(tx: DbOrTx, subscriptionId: number, now: Date, caller: Caller): Promise<ChangedDid[]> {
  return transition(tx, {
    where: Prisma.sql`d.subscription_id = ${subscriptionId} AND d.status IN ('active', 'blocked')`,
    set: endUseSql(now, true),
    action: "deactivate",
    caller,
  });
}

/** A reactivated subscription's DIDs whose hold has not ended are active again. */
export function returnSubscriptionDids(tx: DbOrTx, subscriptionId: number, now: Date, caller: Caller): Promise<ChangedDid[]> {
  return transition(tx, {
    where: Prisma.sql`d.subscription_id = ${subscriptionId} AND d.status = 'hold' AND d.hold_until > ${now}`,
    set: Prisma.sql`status = 'active', hold_until = NULL`,
    action: "reactivate",
    caller,
  });
}

/**
 * Up to `batch` DIDs whose hold ended by `now` take their after-hold status and leave the
 * client. Rows another instance is processing are skipped, not waited for: two schedulers
 * share the work, and none is done twice.
 */
export function endHolds(tx: DbOrTx, now: Date, batch: number, caller: Caller): Promise<ChangedDid[]> {
  return transition(tx, {
    where: Prisma.sql`d.status = 'hold' AND d.hold_until <= ${now}`,
    set: Prisma.sql`status = t.after_hold_status::text::"DidStatus", hold_until = NULL, client_account_id = NULL, subscription_id = NULL, assigned_at = NULL`,
    action: "hold_end",
    caller,
    batch,
  });
}

/** DIDs a subscription holds (in use or on hold after its deactivation): what counts against its package. */
export async function countSubscriptionDids(tx: DbOrTx, subscriptionId: number): Promise<number> {
  const [row] = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM did WHERE subscription_id = ${subscriptionId}`;
  return row?.n ?? 0;
}

/** The DIDs from low to high (numbers of that length) that may be picked for the target, at most `max`. */
export async function pickableInRange(tx: DbOrTx, target: { resellerId: number; allowedTags: string[] }, range: { low: string; high: string }, max: number): Promise<number[]> {
  const rows = await tx.$queryRaw<{ id: number }[]>`
    SELECT d.id FROM did d JOIN operator o ON o.id = d.operator_id
    WHERE d.number BETWEEN ${range.low} AND ${range.high} AND length(d.number) = ${range.low.length} AND ${assignableSql(target)}
    ORDER BY d.number LIMIT ${max}`;
  return rows.map((r) => r.id);
}

export interface ClientDidRow {
  id: number;
  number: string;
  status: DidStatus;
  accountId: number;
  accountName: string;
  packageName: string | null;
  operatorName: string;
  assignedAt: Date | null;
  holdUntil: Date | null;
}

/** A client's DIDs, by number, a page at a time (served by did_client_account_id_number_idx). */
export async function listClientDids(db: DbOrTx, clientId: number, page: number, per: number): Promise<{ rows: ClientDidRow[]; total: number }> {
  const [rows, counted] = await Promise.all([
    db.$queryRaw<ClientDidRow[]>`
      SELECT d.id, d.number, d.status::text AS status, a.id AS "accountId", a.name AS "accountName", p.name AS "packageName", o.name AS "operatorName",
        d.assigned_at AS "assignedAt", d.hold_until AS "holdUntil"
      FROM did d JOIN client_account a ON a.id = d.client_account_id JOIN operator o ON o.id = d.operator_id
        LEFT JOIN subscription s ON s.id = d.subscription_id LEFT JOIN package p ON p.id = s.package_id
      WHERE a.client_id = ${clientId}
      ORDER BY d.number LIMIT ${per} OFFSET ${(page - 1) * per}`,
    db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM did d JOIN client_account a ON a.id = d.client_account_id WHERE a.client_id = ${clientId}`,
  ]);
  return { rows, total: counted[0]?.n ?? 0 };
}

export interface PickableRow {
  id: number;
  number: string;
  operatorName: string;
  tag: string | null;
}

export interface PickerFilter {
  /** Digits the number contains. */
  number?: string;
  operatorId?: number;
  tag?: string;
}

/**
 * The DIDs that may be picked for the target, by number, one page and whether more follow
 * (no count: a million in-stock numbers would make the picker wait for it).
 */
export async function listPickable(db: DbOrTx, target: { resellerId: number; allowedTags: string[] }, filter: PickerFilter, page: number, per: number): Promise<{ rows: PickableRow[]; more: boolean }> {
  const conditions = [assignableSql(target)];
  if (filter.number) conditions.push(Prisma.sql`d.number LIKE ${`%${filter.number}%`}`);
  if (filter.operatorId !== undefined) conditions.push(Prisma.sql`d.operator_id = ${filter.operatorId}`);
  if (filter.tag) conditions.push(Prisma.sql`d.tag = ${filter.tag}`);
  const rows = await db.$queryRaw<PickableRow[]>`
    SELECT d.id, d.number, o.name AS "operatorName", d.tag FROM did d JOIN operator o ON o.id = d.operator_id
    WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY d.number LIMIT ${per + 1} OFFSET ${(page - 1) * per}`;
  return { rows: rows.slice(0, per), more: rows.length > per };
}
