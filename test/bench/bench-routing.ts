// The routing API part of `npm run bench`: the app as `npm start` runs it (its own process,
// request log on), loaded by autocannon (in a process of its own: load-generator.ts) with 20
// connections asking for random numbers
// (active, not active and not in the inventory), against a bare Fastify server answering
// the same lookup with one prepared pg query and no token (bare-route-server.ts) in the same
// run: that server is this stack's limit on this machine. Then the batch form, 1,000
// numbers per request, one request at a time. The bench's token is removed afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import pg from "pg";
import { projectRoot } from "../../src/paths.js";
import { newApiToken } from "../../src/modules/api-tokens/api-token-secret.js";
import { freePort, runLoad, stopProcess, waitForHttp, type LoadResult } from "./bench-http.js";

export interface RoutingFigures {
  lines: string[];
  missed: number;
}

interface Context {
  databaseUrl: string;
  client: pg.Client;
  log: (message: string) => void;
}

const connections = 20;
const warmupSeconds = 3;
const measureSeconds = 10;
const rounds = 3;
const batchSize = 1000;
const batchRequests = 100;
const batchWarmups = 20;
const throughputShareTarget = 0.5;
const p99TargetMs = 10;
const batchP95TargetMs = 50;

const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(values.length * 0.95) - 1)] ?? 0;
const fixed = (x: number, digits = 1) => x.toFixed(digits);
const thousands = (x: number) => Math.round(x).toLocaleString("en-US");

export async function benchRouting(context: Context): Promise<RoutingFigures> {
  const { client, log } = context;
  // Numbers to ask for: half active, the rest in other states or not in the inventory.
  const active = (await client.query<{ number: string }>("SELECT number FROM did TABLESAMPLE SYSTEM (5) WHERE status = 'active' LIMIT 5000")).rows.map((r) => r.number);
  const other = (await client.query<{ number: string }>("SELECT number FROM did TABLESAMPLE SYSTEM (5) WHERE status <> 'active' LIMIT 4000")).rows.map((r) => r.number);
  const absent = Array.from({ length: 1000 }, (_, i) => `999${String(i).padStart(9, "0")}`);
  const pool = [...active, ...other, ...absent];
  const pick = () => pool[Math.floor(Math.random() * pool.length)]!;
  const numbersFile = path.join(await mkdtemp(path.join(os.tmpdir(), "did-bench-")), "numbers.txt");
  await writeFile(numbersFile, pool.join("\n"));

  const secret = newApiToken();
  const tokenId = (
    await client.query<{ id: number }>("INSERT INTO api_token (name, token_hash, token_prefix, rate_limit) VALUES ('bench', $1, $2, 1000000) RETURNING id", [secret.hash, secret.prefix])
  ).rows[0]!.id;
  const auth = { authorization: `Bearer ${secret.token}` };

  let bare: ChildProcess | undefined;
  let app: ChildProcess | undefined;
  try {
    const barePort = await freePort();
    const appPort = await freePort();
    const env = { ...process.env, DATABASE_URL: context.databaseUrl, HOST: "127.0.0.1", NODE_ENV: "production" };
    bare = spawn(process.execPath, [path.join(projectRoot, "dist/test/bench/bare-route-server.js")], { env: { ...env, PORT: String(barePort) }, stdio: "ignore" });
    // The app as `npm start` runs it, its one JSON log line per request included.
    app = spawn(process.execPath, [path.join(projectRoot, "dist/src/server.js")], { env: { ...env, PORT: String(appPort) }, stdio: "ignore" });
    const bareBase = `http://127.0.0.1:${barePort}`;
    const appBase = `http://127.0.0.1:${appPort}`;
    await waitForHttp(`${bareBase}/route/1`, bare, "the bare server");
    await waitForHttp(`${appBase}/healthz`, app, "the app");
    log(`routing API: app (pid ${app.pid}) and bare server (pid ${bare.pid}) started; ${rounds} rounds of ${warmupSeconds} s warm-up + ${measureSeconds} s with ${connections} connections each`);

    const bareRuns: LoadResult[] = [];
    const appRuns: LoadResult[] = [];
    for (let round = 0; round < rounds; round++) {
      // Answered lookups are 200 (found) or 404 (not found); anything else is a failure.
      const lookups = { numbersFile, okStatuses: [200, 404], connections, warmupSeconds, seconds: measureSeconds };
      bareRuns.push(await runLoad({ ...lookups, url: bareBase, pathPrefix: "/route/", headers: {} }));
      appRuns.push(await runLoad({ ...lookups, url: appBase, pathPrefix: "/api/v1/route/", headers: auth }));
      log(`round ${round + 1}: bare ${thousands(bareRuns[round]!.perSecond)}/s, app ${thousands(appRuns[round]!.perSecond)}/s (p99 ${appRuns[round]!.p99} ms)`);
    }
    // Each side's better round: a shared machine's noise only ever slows a round down.
    const best = (runs: LoadResult[]) => runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const bareBest = best(bareRuns);
    const appBest = best(appRuns);
    const share = appBest.perSecond / bareBest.perSecond;
    const failures = appRuns.reduce((sum, r) => sum + r.failures, 0);

    const batchTimes: number[] = [];
    for (let i = 0; i < batchWarmups + batchRequests; i++) {
      const numbers = Array.from({ length: batchSize }, pick);
      const started = performance.now();
      const res = await fetch(`${appBase}/api/v1/route`, { method: "POST", headers: { ...auth, "content-type": "application/json", "accept-encoding": "gzip" }, body: JSON.stringify({ numbers }) });
      const answers = (await res.json()) as unknown[];
      const elapsed = performance.now() - started;
      if (res.status !== 200 || answers.length !== batchSize) throw new Error(`a batch of ${batchSize} answered ${res.status} with ${answers.length} answers`);
      if (i >= batchWarmups) batchTimes.push(elapsed);
    }
    const batchP95 = p95(batchTimes);
    log(`batch of ${batchSize}: p95 ${fixed(batchP95)} ms`);

    const shareOk = share >= throughputShareTarget && failures === 0;
    const p99Ok = appBest.p99 <= p99TargetMs;
    const batchOk = batchP95 <= batchP95TargetMs;
    const row = (name: string, r: LoadResult) => `| ${name} | ${thousands(r.perSecond)} | ${r.p50} ms | ${r.p99} ms | ${thousands(r.requests)} | ${r.failures} |`;
    return {
      missed: [shareOk, p99Ok, batchOk].filter((ok) => !ok).length,
      lines: [
        "## Routing API",
        "",
        `autocannon, ${connections} connections on loopback, random numbers (${active.length.toLocaleString("en-US")} active, ${other.length.toLocaleString("en-US")} in other states, ${absent.length.toLocaleString("en-US")} not in the inventory), ${rounds} rounds of ${measureSeconds} s after ${warmupSeconds} s of warm-up; each side's better round. The app runs as \`npm start\` runs it (its own process, one JSON log line per request, the job worker on); the bare server is Fastify with one prepared \`pg\` query and no token, hooks or log (\`test/bench/bare-route-server.ts\`).`,
        "",
        "| server | lookups/s | p50 | p99 | requests | errors (not 200/404) |",
        "|---|--:|--:|--:|--:|--:|",
        row("bare Fastify + pg (this stack's limit here)", bareBest),
        row("the app: `GET /api/v1/route/{number}` with a token", appBest),
        "",
        `- Throughput: ${fixed(share * 100, 0)}% of the bare server's (target ≥ ${throughputShareTarget * 100}%, no errors: ${failures} in all rounds) — ${verdict(shareOk)}`,
        `- p99 of single lookups: ${appBest.p99} ms (target ≤ ${p99TargetMs} ms) — ${verdict(p99Ok)}`,
        `- Batch of ${batchSize.toLocaleString("en-US")} numbers (\`POST /api/v1/route\`, gzip), one at a time, ${batchRequests} requests after ${batchWarmups} warm-ups: p95 ${fixed(batchP95)} ms, median ${fixed([...batchTimes].sort((a, b) => a - b)[Math.floor(batchTimes.length / 2)]!)} ms (target p95 ≤ ${batchP95TargetMs} ms) — ${verdict(batchOk)}`,
        `- All rounds, lookups/s: bare ${bareRuns.map((r) => thousands(r.perSecond)).join(", ")}; app ${appRuns.map((r) => thousands(r.perSecond)).join(", ")}`,
      ],
    };
  } finally {
    await Promise.all([stopProcess(app, 10_000), stopProcess(bare, 10_000)]);
    await client.query("DELETE FROM api_token WHERE id = $1", [tokenId]);
    await rm(path.dirname(numbersFile), { recursive: true, force: true });
  }
}
