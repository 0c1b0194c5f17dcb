// "This request wrote these audit events": every kind of change is tested through this
// helper, so that no write can lose its events unnoticed.
import type { Test } from "tap";
import type { Db } from "../../src/db/prisma.js";

export interface AuditRow {
  id: bigint;
  occurredAt: Date;
  requestId: string;
  actorId: number | null;
  actorName: string | null;
  action: string;
  objectType: string;
  objectId: number | null;
  resellerId: number | null;
  label: string;
  changes: Record<string, [unknown, unknown]> | null;
}

export async function lastAuditEventId(db: Db): Promise<bigint> {
  const [row] = await db.$queryRaw<{ id: bigint | null }[]>`SELECT max(id) AS id FROM audit_event`;
  return row?.id ?? 0n;
}

export async function auditEventsAfter(db: Db, afterId: bigint): Promise<AuditRow[]> {
  return db.$queryRaw<AuditRow[]>`
    SELECT id, occurred_at AS "occurredAt", request_id::text AS "requestId", actor_id AS "actorId", actor_name AS "actorName",
      action::text AS action, object_type::text AS "objectType", object_id AS "objectId", reseller_id AS "resellerId", label, changes
    FROM audit_event WHERE id > ${afterId} ORDER BY id`;
}

/** What a test expects of one event: any subset of its fields (tap's `match` semantics). */
export type ExpectedEvent = Partial<Omit<AuditRow, "id" | "occurredAt" | "requestId">>;

/**
 * Runs `action` (usually one HTTP request) and asserts that it wrote exactly `expected`
 * (in order), all with one request id. With `expected` a number, asserts the count only.
 * Returns what the action returned and the events, for further checks.
 */
export async function expectAuditEvents<T>(t: Test, db: Db, action: () => Promise<T>, expected: ExpectedEvent[] | number, message = "audit events"): Promise<{ result: T; events: AuditRow[] }> {
  const before = await lastAuditEventId(db);
  const result = await action();
  const events = await auditEventsAfter(db, before);
  const count = typeof expected === "number" ? expected : expected.length;
  t.equal(events.length, count, `${message}: ${count} written`);
  if (events.length > 0) t.equal(new Set(events.map((e) => e.requestId)).size, 1, `${message}: one request id`);
  if (typeof expected !== "number") {
    expected.forEach((e, i) => t.match(events[i], e, `${message}: event ${i + 1}`));
  }
  return { result, events };
}
