// The audit log's one filter parser: query string -> typed AuditQuery -> SQL, and back to
// the canonical URL. The page, its htmx fragment and the links other pages make to a
// DID's history (`/audit?type=did&object=<id>`) all go through it.
//
// Paging is by keyset (`before=<id>`), never by offset or count: the table holds millions
// of rows, and "newest first, 50 older than this id" is one index range scan.
import { Prisma } from "../../generated/prisma/client.js";
import { FieldReader, clip, type FieldErrors } from "../../shared/field-errors.js";
import type { Scope } from "../../shared/actor.js";
import { usernamePattern } from "../users/usernames.js";
import { digits as numberDigits } from "../dids/did-filters.js";
import { minDigits } from "../dids/did-numbers.js";
import { auditActions, auditObjectTypes, type AuditAction, type AuditObjectType } from "./audit-log.js";

export const auditPageSize = 50;

/** The query parameters, named in one place for the parser, the canonical URL and the form. */
export const auditParams = {
  type: "type",
  object: "object",
  number: "number",
  actor: "actor",
  action: "action",
  request: "request",
  from: "from",
  to: "to",
  before: "before",
} as const;

export const objectTypeLabels: Record<AuditObjectType, string> = {
  did: "DID",
  operator: "Operator",
  reseller: "Reseller",
  user: "User",
  import: "Import",
  client: "Client",
  account: "Client account",
  package: "Package",
  subscription: "Subscription",
  api_token: "API token",
};
export const actionLabels: Record<AuditAction, string> = {
  create: "Created",
  edit: "Edited",
  delete: "Deleted",
  mass_edit: "Mass edit",
  mass_delete: "Mass delete",
  sign_in: "Signed in",
  sign_in_failed: "Sign-in failed",
  password_change: "Password changed",
  password_reset: "Password reset",
  role_change: "Role changed",
  import: "Import",
  assign: "Assigned",
  release: "Released",
  move: "Moved to another account",
  block: "Blocked",
  unblock: "Unblocked",
  deactivate: "Deactivated",
  reactivate: "Reactivated",
  hold_end: "Hold ended",
  revoke: "Revoked",
};
export { auditActions, auditObjectTypes };

/** The scheduled work's name in actor_name (see systemCaller in shared/actor.ts). */
export const systemActorName = "system";

/** A bound of the time filter: the instant, and the text it came from (for the form and the URL). */
export interface TimeBound {
  text: string;
  at: Date;
}

export interface AuditFilter {
  objectType?: AuditObjectType;
  objectId?: number;
  /** Digits only: matches the label of DID events, so it finds deleted DIDs too. */
  number?: string;
  /** A username as typed, lower-cased (usernames are ASCII, so case folds the same in SQL). */
  actor?: string;
  action?: AuditAction;
  requestId?: string;
  /** Events at or after this instant. */
  from?: TimeBound;
  /** Events up to the end of this day, minute or second (the "to" field is inclusive). */
  to?: TimeBound;
}

export interface AuditQuery {
  filter: AuditFilter;
  /** Keyset cursor: only events with a smaller id (a decimal string: ids are bigint). */
  before?: string;
}

export type AuditParseResult = { ok: true; query: AuditQuery } | { ok: false; errors: FieldErrors; query: AuditQuery };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const maxBigint = 9_223_372_036_854_775_807n;
/** YYYY-MM-DD, optionally followed by T or a space and HH:MM or HH:MM:SS (a datetime-local value). */
const timePattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A date or datetime-local value, read as UTC (the app shows every time in UTC). Returns the
 * start of what was given and the start of the next day, minute or second, so that "to" can
 * include the whole of what it names.
 */
export function parseTime(text: string): { start: Date; next: Date } | undefined {
  const m = timePattern.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => (part === undefined ? undefined : Number(part)));
  const start = new Date(Date.UTC(year!, month! - 1, day!, hour ?? 0, minute ?? 0, second ?? 0));
  // Date.UTC rolls 2026-02-30 over into March: refuse what is not a real calendar time.
  if (
    start.getUTCFullYear() !== year ||
    start.getUTCMonth() !== month! - 1 ||
    start.getUTCDate() !== day ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59 ||
    (second ?? 0) > 59 ||
    year! < 2000
  ) {
    return undefined;
  }
  const step = second !== undefined ? 1000 : hour !== undefined ? 60_000 : 86_400_000;
  return { start, next: new Date(start.getTime() + step) };
}

function timeBound(r: FieldReader, field: string, label: string, edge: "start" | "next"): TimeBound | undefined {
  const text = r.raw(field)?.trim();
  if (text === undefined || text === "") return undefined;
  const parsed = parseTime(text);
  if (!parsed) return r.fail(field, `${label}: a date as YYYY-MM-DD, or a date and time as YYYY-MM-DD HH:MM (UTC), not "${clip(text)}".`);
  return { text: text.replace(" ", "T"), at: parsed[edge] };
}

/** Parses an audit URL's query. On errors it still returns what was valid, for the form. */
export function parseAuditQuery(source: Record<string, unknown>): AuditParseResult {
  const r = new FieldReader(source);
  const p = auditParams;
  const objectType = r.oneOf(p.type, "object type", auditObjectTypes, "" as AuditObjectType) || undefined;
  const objectId = r.id(p.object, "object ID");
  if (objectId !== undefined && objectType === undefined && !r.errors[p.type]) r.fail(p.object, "An object ID needs its object type: choose one.");
  const number = numberDigits(r, p.number, "DID number", minDigits);
  if (number !== undefined && objectType !== undefined && objectType !== "did") r.fail(p.number, "A DID number finds DID events: choose the object type DID or any.");

  let actor: string | undefined;
  const actorText = r.raw(p.actor)?.trim();
  if (actorText) {
    if (usernamePattern.test(actorText)) actor = actorText.toLowerCase();
    else r.fail(p.actor, `Actor: a username (3 to 64 letters, digits, dots, dashes, underscores or @), or "system"; not "${clip(actorText)}".`);
  }
  const action = r.oneOf(p.action, "action", auditActions, "" as AuditAction) || undefined;

  let requestId: string | undefined;
  const requestText = r.raw(p.request)?.trim();
  if (requestText) {
    if (uuidPattern.test(requestText)) requestId = requestText.toLowerCase();
    else r.fail(p.request, `A request ID is a UUID like 123e4567-e89b-12d3-a456-426614174000, not "${clip(requestText)}".`);
  }

  const from = timeBound(r, p.from, "From", "start");
  const to = timeBound(r, p.to, "To", "next");
  if (from && to && to.at <= from.at) r.fail(p.to, "To must not be before from.");

  let before: string | undefined;
  const beforeText = r.raw(p.before)?.trim();
  if (beforeText) {
    if (/^\d{1,19}$/.test(beforeText) && BigInt(beforeText) >= 1n && BigInt(beforeText) <= maxBigint) before = BigInt(beforeText).toString();
    else r.fail(p.before, `The page position (before) must be an event ID, not "${clip(beforeText)}".`);
  }

  const query: AuditQuery = { filter: { objectType, objectId, number, actor, action, requestId, from, to }, before };
  return r.ok ? { ok: true, query } : { ok: false, errors: r.errors, query };
}

/** The canonical query string: filters in a fixed order, empty ones left out. */
export function auditSearchParams(query: AuditQuery, overrides: { before?: string | undefined } = {}): URLSearchParams {
  const f = query.filter;
  const p = auditParams;
  const params = new URLSearchParams();
  const add = (name: string, value: string | number | undefined) => {
    if (value !== undefined && value !== "") params.append(name, String(value));
  };
  add(p.type, f.objectType);
  add(p.object, f.objectId);
  add(p.number, f.number);
  add(p.actor, f.actor);
  add(p.action, f.action);
  add(p.request, f.requestId);
  add(p.from, f.from?.text);
  add(p.to, f.to?.text);
  add(p.before, "before" in overrides ? overrides.before : query.before);
  return params;
}

export function auditUrl(query: AuditQuery, overrides: { before?: string | undefined } = {}): string {
  const search = auditSearchParams(query, overrides).toString();
  return search ? `/audit?${search}` : "/audit";
}

/** The history of one object, as other pages link to it. */
export function objectHistoryUrl(type: AuditObjectType, id: number): string {
  return auditUrl({ filter: { objectType: type, objectId: id } });
}

/** All events of one request (a mass edit's thousands of DIDs, say). */
export function requestUrl(requestId: string): string {
  return auditUrl({ filter: { requestId } });
}

export function isFiltered(filter: AuditFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined);
}

/**
 * How the actor filter is matched (decided by the service, which looks the name up):
 * - a current user: their id, served by the (actor_id, id) index. Usernames never change
 *   and a user's events carry their id, so this finds all of them;
 * - no current user of that name: actor_name, the name as it was written. That is how the
 *   scheduled work ("system", with no actor id) and a user removed from app_user (by hand:
 *   the app only disables users) are still found. "system" is served by the same index
 *   (actor_id IS NULL); a removed user's name is matched while walking the primary key
 *   newest first, slower on a big table but rare. That is cheaper overall than a seventh
 *   B-tree on lower(actor_name) that every mass edit's 100,000 inserts would maintain.
 */
export type ActorMatch = { kind: "user"; userId: number } | { kind: "name"; name: string };

/**
 * Ids grow with time, give or take one transaction: an event's time is its transaction's
 * start, and the app's longest transactions (a 100,000-number create) may run two minutes.
 * Five minutes of slack keeps every event of a time window inside its id range.
 */
const clockSkewMs = 5 * 60_000;

/**
 * SQL: the first id whose event is at or after `at` (one past the last id when none is),
 * by a binary search over the primary key: about 23 index probes at five million rows.
 * The BRIN index on occurred_at tells which blocks hold a time, but PostgreSQL prefers
 * walking the primary key backwards from the newest event to a day a year ago (0.6 s at
 * five million rows); with the id range it starts and stops at the right place.
 */
function idBoundarySql(at: Date): Prisma.Sql {
  return Prisma.sql`(
    WITH RECURSIVE s(lo, hi) AS (
      SELECT COALESCE(min(id), 1), COALESCE(max(id), 0) + 1 FROM audit_event
      UNION ALL
      SELECT CASE WHEN p.at >= ${at} THEN s.lo ELSE p.mid + 1 END, CASE WHEN p.at >= ${at} THEN p.mid ELSE s.hi END
      FROM s, LATERAL (SELECT (s.lo + s.hi) / 2 AS mid, (SELECT occurred_at FROM audit_event WHERE id >= (s.lo + s.hi) / 2 ORDER BY id LIMIT 1) AS at) p
      WHERE s.lo < s.hi
    )
    SELECT min(hi) FROM s)`;
}

/**
 * The WHERE clause over `audit_event e`, within the scope. Every filter maps onto an index
 * whose trailing column is id DESC, so "ORDER BY id DESC LIMIT 51" reads 51 index entries
 * (see listAuditEventsSql for the shape that makes PostgreSQL use them).
 */
export function auditWhereSql(query: AuditQuery, scope: Scope, actor: ActorMatch | undefined): Prisma.Sql {
  const f = query.filter;
  const conditions: Prisma.Sql[] = [];
  // A reseller's users (and support bound to one) see only their reseller's objects.
  if (scope.resellerId !== null) conditions.push(Prisma.sql`e.reseller_id = ${scope.resellerId}`);
  const type = f.number !== undefined ? "did" : f.objectType;
  if (type !== undefined) conditions.push(Prisma.sql`e.object_type = ${type}::"AuditObjectType"`);
  if (f.objectId !== undefined) conditions.push(Prisma.sql`e.object_id = ${f.objectId}`);
  if (f.number !== undefined) conditions.push(Prisma.sql`e.label = ${f.number}`);
  if (actor?.kind === "user") conditions.push(Prisma.sql`e.actor_id = ${actor.userId}`);
  else if (actor?.kind === "name" && actor.name === systemActorName) conditions.push(Prisma.sql`e.actor_id IS NULL AND e.actor_name = ${systemActorName}`);
  else if (actor?.kind === "name") conditions.push(Prisma.sql`lower(e.actor_name) = ${actor.name}`);
  if (f.action !== undefined) conditions.push(Prisma.sql`e.action = ${f.action}::"AuditAction"`);
  if (f.requestId !== undefined) conditions.push(Prisma.sql`e.request_id = ${f.requestId}::uuid`);
  // The exact time test, and an id range around it, so the page walks only that window of
  // the primary key instead of everything newer (see idBoundarySql).
  if (f.from !== undefined) conditions.push(Prisma.sql`e.occurred_at >= ${f.from.at} AND e.id >= ${idBoundarySql(new Date(f.from.at.getTime() - clockSkewMs))}`);
  if (f.to !== undefined) conditions.push(Prisma.sql`e.occurred_at < ${f.to.at} AND e.id < ${idBoundarySql(new Date(f.to.at.getTime() + clockSkewMs))}`);
  if (query.before !== undefined) conditions.push(Prisma.sql`e.id < ${query.before}::bigint`);
  return conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
}

