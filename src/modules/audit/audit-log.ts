// The one way a write records its audit events. Each function takes the transaction of
// the change itself, so a change and its events commit or roll back together. Events are
// only ever inserted: nothing in the app updates or deletes them.
//
// Two shapes, one table: `recordAuditEvents` for changes made one object at a time (a
// single edit, a sign-in), and `auditInsertSql` for set-based changes (a mass
// edit of 100,000 DIDs), where the events are built in SQL by an INSERT ... SELECT over
// the changed rows instead of crossing the wire one by one.
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";
import type { Caller } from "../../shared/actor.js";

export const auditObjectTypes = ["did", "operator", "reseller", "user", "import", "client", "account", "package", "subscription", "api_token"] as const;
export type AuditObjectType = (typeof auditObjectTypes)[number];

export const auditActions = [
  "create",
  "edit",
  "delete",
  "mass_edit",
  "mass_delete",
  "sign_in",
  "sign_in_failed",
  "password_change",
  "password_reset",
  "role_change",
  "import",
  "assign",
  "release",
  "move",
  "block",
  "unblock",
  "deactivate",
  "reactivate",
  "hold_end",
  "revoke",
] as const;
export type AuditAction = (typeof auditActions)[number];

export type JsonValue = string | number | boolean | null;
/** Field name -> [old, new]. A create has null olds; a delete keeps the last state as olds. */
export type FieldChanges = Record<string, [JsonValue, JsonValue]>;

export interface AuditEventInput {
  action: AuditAction;
  objectType: AuditObjectType;
  /** Null only when there is no object (a failed sign-in with an unknown username). */
  objectId: number | null;
  /** The reseller the object belongs to, for scope; null for admins' own objects. */
  resellerId: number | null;
  label: string;
  changes?: FieldChanges;
}

export const labelMaxLength = 100;

function insertColumns(): Prisma.Sql {
  return Prisma.sql`(request_id, actor_id, actor_name, action, object_type, object_id, reseller_id, label, changes)`;
}

/** Records events for changes made one object at a time, in one INSERT. */
export async function recordAuditEvents(tx: DbOrTx, caller: Caller, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(
    (e) => Prisma.sql`(${caller.requestId}::uuid, ${caller.userId}, ${caller.username}, ${e.action}::"AuditAction", ${e.objectType}::"AuditObjectType",
      ${e.objectId}, ${e.resellerId}, ${e.label.slice(0, labelMaxLength)}, ${e.changes && Object.keys(e.changes).length > 0 ? JSON.stringify(e.changes) : null}::jsonb)`,
  );
  await tx.$executeRaw`INSERT INTO audit_event ${insertColumns()} VALUES ${Prisma.join(rows)}`;
}

/**
 * Records one event per row of `rows`, a SQL query (or a CTE name) whose columns are
 * object_id, reseller_id, label and changes (jsonb). For set-based writes: the caller
 * writes `WITH changed AS (UPDATE ... RETURNING ...)` and passes `SELECT ... FROM changed`.
 * The events are written in object id order, so a batch reads in the order it was made.
 */
export function auditInsertSql(caller: Caller, action: AuditAction, objectType: AuditObjectType, rows: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO audit_event ${insertColumns()}
    SELECT ${caller.requestId}::uuid, ${caller.userId}::int, ${caller.username}::text, ${action}::"AuditAction", ${objectType}::"AuditObjectType",
      e.object_id, e.reseller_id, left(e.label, ${labelMaxLength}), NULLIF(e.changes, '{}'::jsonb)
    FROM (${rows}) e
    ORDER BY e.object_id`;
}

/**
 * SQL for the changes of one row, as {"field": [old, new]} for the fields whose values
 * differ (an empty object when none do). `pairs` maps field names to [old, new] SQL
 * expressions; enums should be cast to text by the caller.
 */
export function changesSql(pairs: Record<string, [Prisma.Sql, Prisma.Sql]>): Prisma.Sql {
  const parts = Object.entries(pairs).map(
    ([field, [before, after]]) =>
      Prisma.sql`CASE WHEN ${before} IS DISTINCT FROM ${after} THEN jsonb_build_object(${field}::text, jsonb_build_array(${before}, ${after})) ELSE '{}'::jsonb END`,
  );
  return parts.length === 0 ? Prisma.sql`'{}'::jsonb` : Prisma.join(parts, " || ");
}

/** The fields of `fields` whose values differ between `before` and `after`, as FieldChanges. */
export function changedFields<T extends Record<string, unknown>>(before: T | null, after: T | null, fields: readonly (keyof T & string)[]): FieldChanges {
  const changes: FieldChanges = {};
  for (const field of fields) {
    const old = toJson(before?.[field]);
    const next = toJson(after?.[field]);
    if (old !== next) changes[field] = [old, next];
  }
  return changes;
}

function toJson(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return String(value);
}
