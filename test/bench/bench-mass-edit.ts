// The mass-edit part of `npm run bench`: mass edit and mass delete of 100,000 DIDs chosen
// by a search, and of 1,000 ticked DIDs, through the real app over HTTP, each beside the
// same UPDATE / DELETE with its audit-event INSERT ... SELECT run as plain SQL in the same
// run (what PostgreSQL itself needs for the work). The bench's own DIDs and events are
// removed afterwards.
import { randomUUID } from "node:crypto";
import pg from "pg";

export interface MassEditFigures {
  lines: string[];
  missed: number;
}

interface Context {
  base: string;
  cookie: string;
  csrfToken: string;
  client: pg.Client;
  operatorId: number;
  /** Digits no seeded number starts with: the bench's own DIDs for the delete. */
  rangePrefix: string;
  log: (message: string) => void;
}

const massEditTargetMs = 8000;
const massEditRatioTarget = 2.5;
const selectedTargetMs = 300;
const deleteTargetMs = 4000;
const markTag = "bench-mass-edit";

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");

async function post(ctx: Context, path: string, fields: [string, string][]): Promise<{ ms: number; status: number; location: string }> {
  const body = new URLSearchParams([...fields, ["_csrf", ctx.csrfToken]]);
  const started = performance.now();
  const res = await fetch(ctx.base + path, {
    method: "POST",
    body: body.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", "accept-encoding": "gzip", cookie: ctx.cookie },
    redirect: "manual",
  });
  await res.arrayBuffer();
  return { ms: performance.now() - started, status: res.status, location: res.headers.get("location") ?? "" };
}

async function timed(client: pg.Client, text: string, values: unknown[] = []): Promise<{ ms: number; rowCount: number }> {
  const started = performance.now();
  const result = await client.query(text, values);
  return { ms: performance.now() - started, rowCount: result.rowCount ?? 0 };
}

// The plain-SQL reference: the same work as the app's statement (update the selected
// rows, one event per row with the changed field), without its rule checks and locks.
const plainUpdateSql = `
  WITH changed AS (
    UPDATE did d SET status = $2::"DidStatus", updated_at = now()
    FROM operator o
    WHERE o.id = d.operator_id AND d.tag = $1 AND d.status = $3::"DidStatus"
    RETURNING d.id, d.number, o.reseller_id
  )
  INSERT INTO audit_event (request_id, actor_id, actor_name, action, object_type, object_id, reseller_id, label, changes)
  SELECT $4::uuid, NULL, 'bench', 'mass_edit', 'did', id, reseller_id, number, jsonb_build_object('status', jsonb_build_array($3::text, $2::text))
  FROM changed`;

const plainDeleteSql = `
  WITH gone AS (
    DELETE FROM did d WHERE d.number LIKE $1 RETURNING d.id, d.number, d.status, d.operator_id, d.tag, d.notes
  )
  INSERT INTO audit_event (request_id, actor_id, actor_name, action, object_type, object_id, reseller_id, label, changes)
  SELECT $2::uuid, NULL, 'bench', 'mass_delete', 'did', g.id, o.reseller_id, g.number,
    jsonb_build_object('number', jsonb_build_array(g.number, NULL), 'status', jsonb_build_array(g.status::text, NULL), 'operator', jsonb_build_array(o.name, NULL))
  FROM gone g JOIN operator o ON o.id = g.operator_id`;

async function insertRange(ctx: Context, prefix: string, count: number): Promise<void> {
  await ctx.client.query(
    `INSERT INTO did (number, status, operator_id) SELECT $1 || lpad(i::text, 6, '0'), 'in_stock', $2 FROM generate_series(0, $3 - 1) i`,
    [prefix, ctx.operatorId, count],
  );
  await ctx.client.query("ANALYZE did");
}

export async function benchMassEdit(ctx: Context): Promise<MassEditFigures> {
  const { client, log } = ctx;
  const benchRequests: string[] = [];
  const plainRequest = randomUUID();
  try {
    // 100,000 unassigned DIDs in stock get a tag of their own: the search "tag + status".
    await client.query("UPDATE did SET tag = NULL WHERE tag = $1", [markTag]);
    const marked = await client.query(
      `UPDATE did SET tag = $1 WHERE id IN (SELECT id FROM did WHERE status = 'in_stock' AND client_account_id IS NULL ORDER BY number LIMIT 100000)`,
      [markTag],
    );
    const size = marked.rowCount ?? 0;
    await client.query("VACUUM (ANALYZE) did");
    log(`mass edit: ${size.toLocaleString("en-US")} DIDs tagged ${markTag} (in stock)`);

    // Alternately: plain SQL in_stock -> reserved, the app reserved -> in_stock, twice.
    const plainTimes: number[] = [];
    const appTimes: number[] = [];
    for (let round = 0; round < 2; round++) {
      const plain = await timed(client, plainUpdateSql, [markTag, "reserved", "in_stock", plainRequest]);
      if (plain.rowCount !== size) throw new Error(`plain SQL mass edit changed ${plain.rowCount}, expected ${size}`);
      plainTimes.push(plain.ms);
      const search = `tag=${markTag}&status=reserved`;
      const app = await post(ctx, "/dids/mass-edit/apply", [["search", search], ["select", "all"], ["change_status", "1"], ["status", "in_stock"], ["expected", String(size)]]);
      if (app.status !== 303) throw new Error(`mass edit through the app answered ${app.status}, expected 303`);
      const changed = await client.query("SELECT count(*)::int AS n FROM did WHERE tag = $1 AND status = 'in_stock'", [markTag]);
      if (changed.rows[0].n !== size) throw new Error(`the app's mass edit left ${changed.rows[0].n} in stock, expected ${size}`);
      appTimes.push(app.ms);
      log(`mass edit of ${size.toLocaleString("en-US")}: app ${ms(app.ms)} ms, plain SQL ${ms(plain.ms)} ms`);
    }
    const appBest = Math.min(...appTimes);
    const plainBest = Math.min(...plainTimes);
    const ratio = appBest / plainBest;

    // 1,000 ticked DIDs: their ids are posted.
    const ids = (await client.query<{ id: number }>("SELECT id FROM did WHERE tag = $1 ORDER BY id LIMIT 1000", [markTag])).rows.map((r) => String(r.id));
    const selectedTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      const fields: [string, string][] = [["search", ""], ...ids.map((id): [string, string] => ["id", id]), ["change_notes", "1"], ["notes", `bench round ${round}`]];
      const res = await post(ctx, "/dids/mass-edit/apply", fields);
      if (res.status !== 303) throw new Error(`mass edit of 1,000 ticked DIDs answered ${res.status}`);
      selectedTimes.push(res.ms);
    }
    const selectedMedian = [...selectedTimes].sort((a, b) => a - b)[2]!;
    log(`mass edit of 1,000 ticked DIDs: median ${ms(selectedMedian)} ms`);

    // Delete: 100,000 of the bench's own DIDs through the app, and as many by plain SQL.
    const appPrefix = `${ctx.rangePrefix}1`;
    const plainPrefix = `${ctx.rangePrefix}2`;
    await client.query("DELETE FROM did WHERE number LIKE $1 OR number LIKE $2", [`${appPrefix}%`, `${plainPrefix}%`]);
    await insertRange(ctx, plainPrefix, 100_000);
    const plainDelete = await timed(client, plainDeleteSql, [`${plainPrefix}%`, plainRequest]);
    if (plainDelete.rowCount !== 100_000) throw new Error(`plain SQL delete removed ${plainDelete.rowCount}`);
    await insertRange(ctx, appPrefix, 100_000);
    const appDelete = await post(ctx, "/dids/mass-delete/apply", [["search", `prefix=${appPrefix}`], ["select", "all"], ["expected", "100000"]]);
    if (appDelete.status !== 303) throw new Error(`mass delete through the app answered ${appDelete.status}`);
    const left = await client.query("SELECT count(*)::int AS n FROM did WHERE number LIKE $1", [`${appPrefix}%`]);
    if (left.rows[0].n !== 0) throw new Error(`the app's mass delete left ${left.rows[0].n} DIDs`);
    log(`delete of 100,000: app ${ms(appDelete.ms)} ms, plain SQL ${ms(plainDelete.ms)} ms`);

    const editPass = appBest <= massEditTargetMs && ratio <= massEditRatioTarget;
    const lines = [
      "## Mass edit and delete (with their audit events)",
      "",
      "| operation | app over HTTP | the same SQL alone | target | pass/fail |",
      "|---|--:|--:|--:|---|",
      `| mass edit of ${size.toLocaleString("en-US")} DIDs chosen by a search (\`tag=${markTag}&status=…\`, status changed), best of 2 | ${ms(appBest)} ms (${appTimes.map(ms).join(", ")}) | ${ms(plainBest)} ms (${plainTimes.map(ms).join(", ")}) | ≤ ${massEditTargetMs / 1000} s and ≤ ${massEditRatioTarget}× the SQL (${ratio.toFixed(2)}×) | ${verdict(editPass)} |`,
      `| mass edit of 1,000 ticked DIDs (ids posted, notes set), median of 5 | ${ms(selectedMedian)} ms | | ≤ ${selectedTargetMs} ms | ${verdict(selectedMedian <= selectedTargetMs)} |`,
      `| delete of 100,000 DIDs chosen by a search (\`prefix=…\`) | ${ms(appDelete.ms)} ms | ${ms(plainDelete.ms)} ms | ≤ ${deleteTargetMs / 1000} s | ${verdict(appDelete.ms <= deleteTargetMs)} |`,
      "",
      "The app's time includes the confirmation's count (the search is counted again before the change), the rule checks, locking the rows in id order, the operation row and the HTTP round trip; the SQL alone is one UPDATE (or DELETE) with its event INSERT ... SELECT.",
    ];
    benchRequests.push(
      ...(await client.query<{ request_id: string }>("SELECT request_id::text FROM operation WHERE kind IN ('mass_edit', 'mass_delete') AND created_at > now() - interval '1 hour'")).rows.map((r) => r.request_id),
    );
    return { lines, missed: (editPass ? 0 : 1) + (selectedMedian <= selectedTargetMs ? 0 : 1) + (appDelete.ms <= deleteTargetMs ? 0 : 1) };
  } finally {
    // The bench's own traces: its tag, its events and operations (the app never deletes events; the bench cleans up after itself).
    await client.query("UPDATE did SET tag = NULL, notes = NULL WHERE tag = $1", [markTag]).catch(() => {});
    await client.query("DELETE FROM audit_event WHERE request_id = ANY($1::uuid[])", [[plainRequest, ...benchRequests]]).catch(() => {});
    await client.query("DELETE FROM operation WHERE request_id = ANY($1::uuid[])", [benchRequests]).catch(() => {});
    await client.query("VACUUM (ANALYZE) did").catch(() => {});
  }
}
