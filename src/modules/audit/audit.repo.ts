// The only place that reads the audit log (audit-log.ts writes it). One query per page:
// the newest 51 events that match, so that the page knows whether older ones exist
// without counting millions of rows.
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";
import type { Scope } from "../../shared/actor.js";
import { auditPageSize, auditWhereSql, type ActorMatch, type AuditQuery } from "./audit-filters.js";
import type { AuditAction, AuditObjectType, JsonValue } from "./audit-log.js";

export interface AuditEventRow {
  /** A decimal string: ids are bigint. */
  id: string;
  occurredAt: Date;
  requestId: string;
  actorId: number | null;
  actorName: string | null;
  action: AuditAction;
  objectType: AuditObjectType;
  objectId: number | null;
  label: string;
  changes: Record<string, [JsonValue, JsonValue]> | null;
}

/**
 * The SQL of one page (exported so that the benchmark runs exactly what the app runs).
 * The page's ids are picked first, from the ids alone, and only those 51 rows are read
 * whole. That is not only the cheaper shape: each filter's index ends in id DESC, so the
 * inner query is an index-only scan of 51 entries, which PostgreSQL prefers to walking
 * the primary key backwards. Asked for whole rows directly, it walked the primary key
 * instead, guessing that a big request's events were spread evenly over the table and
 * that 51 would come soon; a batch sits together, maybe months back, and the walk read
 * 2 million rows (0.4 to 1 s at 5 million events, against 1 ms this way).
 */
export function listAuditEventsSql(query: AuditQuery, scope: Scope, actor: ActorMatch | undefined): Prisma.Sql {
  return Prisma.sql`
    SELECT e.id::text AS id, e.occurred_at AS "occurredAt", e.request_id::text AS "requestId", e.actor_id AS "actorId",
      e.actor_name AS "actorName", e.action::text AS action, e.object_type::text AS "objectType", e.object_id AS "objectId",
      e.label, e.changes
    FROM (SELECT e.id FROM audit_event e ${auditWhereSql(query, scope, actor)} ORDER BY e.id DESC LIMIT ${auditPageSize + 1}) page
    JOIN audit_event e ON e.id = page.id
    ORDER BY e.id DESC`;
}

export async function listAuditEvents(db: DbOrTx, scope: Scope, query: AuditQuery, actor: ActorMatch | undefined): Promise<{ events: AuditEventRow[]; older: boolean }> {
  const rows = await db.$queryRaw<AuditEventRow[]>(listAuditEventsSql(query, scope, actor));
  for (const row of rows) if (typeof row.changes === "string") row.changes = JSON.parse(row.changes) as AuditEventRow["changes"];
  return { events: rows.slice(0, auditPageSize), older: rows.length > auditPageSize };
}

export interface OperationSummary {
  kind: string;
  didCount: number;
  skippedCount: number;
  createdAt: Date;
  createdBy: string | null;
}

/**
 * The operation (a creation, mass edit or mass delete) that a request made, if any. A
 * scoped user sees it only when it was made by a user bound to their own reseller: such a
 * user can only touch that reseller's DIDs, so its counts tell nothing about anyone else's.
 * An admin's batch may span resellers, so its counts are not shown to them.
 */
export async function findOperationSummary(db: DbOrTx, scope: Scope, requestId: string): Promise<OperationSummary | undefined> {
  const inScope = scope.resellerId === null ? Prisma.empty : Prisma.sql`AND u.role <> 'admin' AND u.reseller_id = ${scope.resellerId}`;
  const rows = await db.$queryRaw<OperationSummary[]>`
    SELECT o.kind, o.did_count AS "didCount", o.skipped_count AS "skippedCount", o.created_at AS "createdAt", u.username AS "createdBy"
    FROM operation o LEFT JOIN app_user u ON u.id = o.created_by_id
    WHERE o.request_id = ${requestId}::uuid ${inScope}`;
  return rows[0];
}
