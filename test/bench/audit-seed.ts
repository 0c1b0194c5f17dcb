// The benchmark's audit log: millions of realistic events written by one INSERT ... SELECT
// over generate_series, with the secondary indexes dropped first and rebuilt after (much
// faster than maintaining six indexes row by row), then ANALYZE.
//
// The mix, in blocks of 1,000 consecutive events (ids and times ascend together over two
// years): about half are mass edits whose requests touch 10 to 1,000 DIDs each, 30 % single
// DID edits (a request each), 7 % creations and 2 % mass deletes in batches, and 6 % sign-ins
// (a tenth of them failed, with no actor). Batches touch consecutive DIDs, as a mass edit
// of a search does. One mass edit of `bigBatch` events (100,000 at full size) sits at 60 %
// of the history, with an operation row, for the "one request" scenario.
import type pg from "pg";

/** The request id of the big batch: fixed, so that reruns find it. */
export const bigBatchRequestId = "0b0b0b0b-0000-4000-8000-000000000100";
const actorCount = 20;
export const benchActorName = (k: number) => `bench-user-${k}`;

export interface AuditSeedSummary {
  events: number;
  bigBatch: number;
  ms: number;
}

export function bigBatchSize(events: number): number {
  return Math.min(100_000, Math.floor(events / 10));
}

export async function seedAuditEvents(client: pg.Client, events: number, log: (message: string) => void): Promise<AuditSeedSummary> {
  const started = performance.now();
  const bigBatch = bigBatchSize(events);
  const bigStart = Math.floor(events * 0.6) + 1;
  log(`audit log: writing ${events.toLocaleString("en-US")} events (one batch of ${bigBatch.toLocaleString("en-US")})`);
  const indexes = await client.query<{ indexname: string; indexdef: string }>(
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_event' AND indexname <> 'audit_event_pkey'",
  );
  await client.query("TRUNCATE audit_event");
  await client.query("DELETE FROM operation WHERE request_id = $1", [bigBatchRequestId]);
  for (const index of indexes.rows) await client.query(`DROP INDEX "${index.indexname}"`);
  await client.query(`
    CREATE TEMP TABLE bench_did AS
    SELECT row_number() OVER (ORDER BY d.id) AS rn, d.id, d.number, o.reseller_id
    FROM did d JOIN operator o ON o.id = d.operator_id`);
  await client.query("CREATE UNIQUE INDEX ON bench_did (rn)");
  const didCount = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM bench_did")).rows[0]!.n);
  if (didCount === 0) throw new Error("the audit log seed needs DIDs");
  // Only numbers computed here are written into the SQL text. k: which of the synthetic
  // users acts (not in app_user: they stand for users of the past).
  await client.query(
    `
    INSERT INTO audit_event (occurred_at, request_id, actor_id, actor_name, action, object_type, object_id, reseller_id, label, changes)
    SELECT
      timestamptz '2024-12-01 00:00:00+00' + (s.g::float8 / ${events}) * interval '730 days',
      s.request_id,
      CASE WHEN s.kind = 'sign_in_failed' THEN NULL ELSE 100000 + s.k END,
      CASE WHEN s.kind = 'sign_in_failed' THEN NULL ELSE 'bench-user-' || s.k END,
      s.kind::"AuditAction",
      CASE WHEN s.kind LIKE 'sign_in%' THEN 'user' ELSE 'did' END::"AuditObjectType",
      CASE WHEN s.kind = 'sign_in' THEN 100000 + s.k WHEN s.kind = 'sign_in_failed' THEN NULL ELSE d.id END,
      d.reseller_id,
      CASE WHEN s.kind LIKE 'sign_in%' THEN 'bench-user-' || s.k ELSE d.number END,
      CASE
        WHEN s.kind LIKE 'sign_in%' THEN NULL
        WHEN s.kind = 'create' THEN jsonb_build_object('number', jsonb_build_array(NULL, d.number), 'status', jsonb_build_array(NULL, 'in_stock'))
        WHEN s.kind = 'mass_delete' THEN jsonb_build_object('number', jsonb_build_array(d.number, NULL), 'status', jsonb_build_array('archive', NULL))
        WHEN s.g % 4 = 0 THEN jsonb_build_object('status', jsonb_build_array('in_stock', 'reserved'))
        WHEN s.g % 4 = 1 THEN jsonb_build_object('tag', jsonb_build_array(NULL, 'premium'))
        WHEN s.g % 4 = 2 THEN jsonb_build_object('notes', jsonb_build_array('ported from the old switch', 'moved to rack 4, ticket #' || s.g))
        ELSE jsonb_build_object('status', jsonb_build_array('reserved', 'archive'), 'tag', jsonb_build_array('premium', NULL))
      END
    FROM (
      SELECT g, block, pos, h,
        CASE WHEN big THEN 'mass_edit'
             WHEN h < 55 THEN 'mass_edit' WHEN h < 85 THEN 'edit' WHEN h < 92 THEN 'create' WHEN h < 94 THEN 'mass_delete'
             WHEN g % 10 = 0 THEN 'sign_in_failed' ELSE 'sign_in' END AS kind,
        CASE WHEN big THEN $1::uuid
             WHEN h >= 55 AND h < 85 OR h >= 94 THEN md5('bench-event-' || g)::uuid
             ELSE md5('bench-batch-' || block || '-' || pos / (ARRAY[10, 50, 200, 1000])[h % 4 + 1])::uuid END AS request_id,
        CASE WHEN big THEN 7 WHEN h < 55 OR (h >= 85 AND h < 94) THEN block % ${actorCount} ELSE g % ${actorCount} END AS k,
        CASE WHEN big THEN (g - ${bigStart}) % ${didCount} + 1
             WHEN h >= 55 AND h < 85 THEN (g * 7919) % ${didCount} + 1
             ELSE (block * 7919 + pos) % ${didCount} + 1 END AS rn
      FROM (
        SELECT g, (g - 1) / 1000 AS block, (g - 1) % 1000 AS pos, ((g - 1) / 1000 * 2654435761) % 100 AS h, g >= ${bigStart} AND g < ${bigStart + bigBatch} AS big
        FROM generate_series(1, ${events}::bigint) AS g
      ) numbered
    ) s
    JOIN bench_did d ON d.rn = s.rn
    ORDER BY s.g`,
    [bigBatchRequestId],
  );
  await client.query("DROP TABLE bench_did");
  log(`audit log: rows written in ${((performance.now() - started) / 1000).toFixed(1)} s; rebuilding ${indexes.rows.length} indexes`);
  for (const index of indexes.rows) await client.query(index.indexdef);
  const batchAt = await client.query<{ at: Date }>("SELECT min(occurred_at) AS at FROM audit_event WHERE request_id = $1", [bigBatchRequestId]);
  await client.query(
    "INSERT INTO operation (kind, did_count, skipped_count, state, request_id, created_at, finished_at) VALUES ('mass_edit', $1, 17, 'done', $2, $3, $3)",
    [bigBatch, bigBatchRequestId, batchAt.rows[0]!.at],
  );
  await client.query("VACUUM (ANALYZE) audit_event");
  const ms = performance.now() - started;
  log(`audit log: ${events.toLocaleString("en-US")} events in ${(ms / 1000).toFixed(1)} s`);
  return { events, bigBatch, ms };
}
