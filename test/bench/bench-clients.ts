// The clients part of `npm run bench`: 100,000 clients (written once, kept between runs),
// then through the real app over HTTP: the inventory's first page with them (its client
// field no longer lists them), one client's DIDs tab, and 1,000 DIDs assigned to one account
// in one submission; and the hold scheduler's statement ending 100,000 expired holds. The
// bench's own assignments and events are undone afterwards.
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import pg from "pg";
import type { Db } from "../../src/db/prisma.js";
import { endExpiredHolds } from "../../src/modules/assignments/assignments.service.js";
import { systemCaller } from "../../src/shared/actor.js";
import { systemClock } from "../../src/shared/clock.js";

export interface ClientFigures {
  lines: string[];
  missed: number;
}

interface Context {
  base: string;
  cookie: string;
  csrfToken: string;
  client: pg.Client;
  db: Db;
  requests: number;
  log: (message: string) => void;
}

export const benchClients = 100_000;
const pageTargetMs = 100;
const pageBytesTarget = 30 * 1024;
const assignTargetMs = 1000;
const holdsTargetMs = 10_000;
const assigned = 1000;
const holds = 100_000;

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(values.length * 0.95) - 1)] ?? 0;

/** 100,000 clients with an account each, across the resellers, unless they are there already. */
async function ensureClients(ctx: Context): Promise<string> {
  const { client } = ctx;
  const have = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM client WHERE name LIKE 'Bench client %'")).rows[0]!.n);
  if (have >= benchClients) return `reused: ${have.toLocaleString("en-US")} bench clients`;
  const started = performance.now();
  await client.query("BEGIN");
  await client.query(
    `INSERT INTO client (name, reseller_id)
     SELECT 'Bench client ' || g, (SELECT array_agg(id ORDER BY id) FROM reseller WHERE id IN (SELECT reseller_id FROM operator))[1 + g % (SELECT count(DISTINCT reseller_id) FROM operator)]
     FROM generate_series($1::int + 1, $2::int) g`,
    [have, benchClients],
  );
  await client.query(
    `INSERT INTO client_account (name, client_id, reseller_id)
     SELECT 'Main', c.id, c.reseller_id FROM client c WHERE c.name LIKE 'Bench client %' AND NOT EXISTS (SELECT 1 FROM client_account a WHERE a.client_id = c.id)`,
  );
  await client.query("COMMIT");
  await client.query("ANALYZE client");
  await client.query("ANALYZE client_account");
  return `written now in ${((performance.now() - started) / 1000).toFixed(1)} s`;
}

async function timedGet(ctx: Context, path: string): Promise<{ ms: number; bytes: number; status: number }> {
  const started = performance.now();
  const res = await fetch(ctx.base + path, { headers: { cookie: ctx.cookie, "accept-encoding": "gzip" } });
  const body = Buffer.from(await res.arrayBuffer());
  const elapsed = performance.now() - started;
  // fetch decodes gzip: measure what travelled by compressing it again as the server does.
  return { ms: elapsed, bytes: gzipSync(body).length, status: res.status };
}

async function repeat(ctx: Context, path: string): Promise<{ p95: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3 + ctx.requests; i++) {
    const r = await timedGet(ctx, path);
    if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}`);
    if (i >= 3) times.push(r.ms);
    bytes = r.bytes;
  }
  return { p95: p95(times), bytes };
}

export async function benchClientsPart(ctx: Context): Promise<ClientFigures> {
  const { client, log } = ctx;
  log(`clients: ${benchClients.toLocaleString("en-US")} clients`);
  const clientsNote = await ensureClients(ctx);
  log(`clients: ${clientsNote}`);

  // One bench client of the reseller with the most in-stock DIDs, subscribed to a package that allows plenty.
  const { rows: [target] } = await client.query<{ reseller_id: number }>(
    `SELECT o.reseller_id FROM did d JOIN operator o ON o.id = d.operator_id WHERE d.status = 'in_stock' AND d.client_account_id IS NULL
     GROUP BY o.reseller_id ORDER BY count(*) DESC LIMIT 1`,
  );
  const resellerId = target!.reseller_id;
  const { rows: [bench] } = await client.query<{ client_id: number; account_id: number }>(
    `SELECT c.id AS client_id, a.id AS account_id FROM client c JOIN client_account a ON a.client_id = c.id
     WHERE c.reseller_id = $1 AND c.name LIKE 'Bench client %' ORDER BY c.id LIMIT 1`,
    [resellerId],
  );
  const { rows: [pkg] } = await client.query<{ id: number }>(
    `INSERT INTO package (name, reseller_id, did_limit, default_hold_days) VALUES ('Bench package ' || $2, $1, 1000000, 30) RETURNING id`,
    [resellerId, randomUUID().slice(0, 8)],
  );
  const { rows: [subscription] } = await client.query<{ id: number }>(
    "INSERT INTO subscription (client_id, package_id, reseller_id, start_date) VALUES ($1, $2, $3, current_date - 1) RETURNING id",
    [bench!.client_id, pkg!.id, resellerId],
  );
  const eventsBefore = (await client.query<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM audit_event")).rows[0]!.id;
  const touched: number[] = [];
  try {
    // Assigning 1,000 ticked DIDs in one submission.
    const { rows: pick } = await client.query<{ id: number }>(
      `SELECT d.id FROM did d JOIN operator o ON o.id = d.operator_id
       WHERE o.reseller_id = $1 AND d.status = 'in_stock' AND d.client_account_id IS NULL ORDER BY d.number LIMIT $2`,
      [resellerId, assigned],
    );
    touched.push(...pick.map((r) => r.id));
    const body = new URLSearchParams([["_csrf", ctx.csrfToken], ["account", String(bench!.account_id)], ["subscription", String(subscription!.id)], ...pick.map((r) => ["did", String(r.id)] as [string, string])]);
    const started = performance.now();
    const res = await fetch(`${ctx.base}/clients/${bench!.client_id}/dids/add`, {
      method: "POST",
      body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: ctx.cookie },
      redirect: "manual",
    });
    await res.arrayBuffer();
    const assignMs = performance.now() - started;
    const done = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM did WHERE subscription_id = $1", [subscription!.id])).rows[0]!.n);
    if (res.status !== 303 || done !== assigned) throw new Error(`assigning ${assigned} DIDs answered ${res.status} and assigned ${done}`);
    log(`clients: assigned ${assigned} DIDs in ${ms(assignMs)} ms`);

    // The pages, with 100,000 clients and this client's 1,000 DIDs.
    const inventory = await repeat(ctx, "/dids?per=50");
    const tab = await repeat(ctx, `/clients/${bench!.client_id}/dids`);
    log(`clients: inventory p95 ${ms(inventory.p95)} ms (${(inventory.bytes / 1024).toFixed(1)} KB), DIDs tab p95 ${ms(tab.p95)} ms (${(tab.bytes / 1024).toFixed(1)} KB)`);

    // 100,000 holds that ended yesterday, ended by the scheduler's statement.
    const { rows: held } = await client.query<{ id: number }>(
      `UPDATE did SET status = 'hold', client_account_id = $2, hold_until = now() - interval '1 day'
       WHERE id IN (SELECT d.id FROM did d JOIN operator o ON o.id = d.operator_id
                    WHERE o.reseller_id = $1 AND d.status = 'in_stock' AND d.client_account_id IS NULL ORDER BY d.id LIMIT $3)
       RETURNING id`,
      [resellerId, bench!.account_id, holds],
    );
    touched.push(...held.map((r) => r.id));
    await client.query("ANALYZE did");
    const holdsStarted = performance.now();
    const ended = await endExpiredHolds(ctx.db, systemCaller(randomUUID()), systemClock);
    const holdsMs = performance.now() - holdsStarted;
    if (ended < held.length) throw new Error(`the scheduler ended ${ended} of ${held.length} holds`);
    log(`clients: ended ${ended.toLocaleString("en-US")} holds in ${ms(holdsMs)} ms`);

    const results = [
      { ok: assignMs <= assignTargetMs, line: `- Assigning ${assigned.toLocaleString("en-US")} ticked DIDs to one account in one submission (\`POST /clients/:id/dids/add\`, all checked, locked and written with their events): ${ms(assignMs)} ms (target ≤ ${assignTargetMs / 1000} s)` },
      { ok: inventory.p95 <= pageTargetMs && inventory.bytes <= pageBytesTarget, line: `- The inventory's first page with ${benchClients.toLocaleString("en-US")} clients (\`/dids?per=50\`): p95 ${ms(inventory.p95)} ms, ${(inventory.bytes / 1024).toFixed(1)} KB gzip (targets ≤ ${pageTargetMs} ms, ≤ 30 KB)` },
      { ok: tab.p95 <= pageTargetMs && tab.bytes <= pageBytesTarget, line: `- A client's DIDs tab (${assigned.toLocaleString("en-US")} DIDs, 50 a page): p95 ${ms(tab.p95)} ms, ${(tab.bytes / 1024).toFixed(1)} KB gzip (targets ≤ ${pageTargetMs} ms, ≤ 30 KB)` },
      { ok: holdsMs <= holdsTargetMs, line: `- The hold scheduler ending ${ended.toLocaleString("en-US")} expired holds (after-hold status, client links cleared, one event each, in batches of 5,000): ${ms(holdsMs)} ms (target ≤ ${holdsTargetMs / 1000} s)` },
    ];
    return {
      lines: [`## Clients (${benchClients.toLocaleString("en-US")} clients; ${clientsNote})`, "", ...results.map((r) => `${r.line} — ${verdict(r.ok)}`), "", "The bench's assignments and holds are undone afterwards, with their events."],
      missed: results.filter((r) => !r.ok).length,
    };
  } finally {
    await client.query(
      "UPDATE did SET status = 'in_stock', client_account_id = NULL, subscription_id = NULL, assigned_at = NULL, hold_until = NULL WHERE id = ANY($1::int[])",
      [touched],
    ).catch(() => {});
    await client.query("DELETE FROM audit_event WHERE id > $1", [eventsBefore]).catch(() => {});
    await client.query("DELETE FROM subscription WHERE id = $1", [subscription!.id]).catch(() => {});
    await client.query("DELETE FROM package WHERE id = $1", [pkg!.id]).catch(() => {});
    await client.query("VACUUM (ANALYZE) did").catch(() => {});
  }
}
