// The inventory under a support desk's load, part of `npm run bench`: the app as `npm start`
// runs it (its own process, request log and job worker on), signed in once through the
// sign-in form, loaded by autocannon (in a process of its own: load-generator.ts) with 20
// connections on loopback: the unfiltered first page (`/dids`, its total over every DID) and
// a light page (`/dids?id=1`). Rounds alternate between the two; each page's better round
// is reported, with every round listed (a shared machine's noise only ever slows a round).
// With `cpuProfileDir`, the app runs under `node --cpu-prof` and writes its profile there on
// exit (how the figures below were explained).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../../src/paths.js";
import { cookieHeader, freePort, runLoad, signIn, stopProcess, waitForHttp, type LoadResult } from "./bench-http.js";

/** Answers other than 200 count as failures. */
export type PageLoadResult = LoadResult;

export interface PageLoadFigures {
  lines: string[];
  missed: number;
  runs: Record<string, PageLoadResult[]>;
}

interface Context {
  databaseUrl: string;
  /** An admin who may sign in through the form (the bench's own). */
  username: string;
  password: string;
  log: (message: string) => void;
  rounds?: number;
  /** The app's entry point; default dist/src/server.js of this checkout. */
  serverScript?: string;
  cpuProfileDir?: string;
  /** Only these pages (default: every scenario). */
  paths?: string[];
}

const connections = 20;
const warmupSeconds = 3;
const measureSeconds = 10;

export const pageLoadScenarios = [
  { name: "unfiltered first page (`/dids`, 50 rows and the total)", path: "/dids", minPerSecond: 250, maxP99Ms: 250 },
  { name: "a light page (`/dids?id=1`)", path: "/dids?id=1", minPerSecond: 800, maxP99Ms: undefined },
] as const;

const thousands = (x: number) => Math.round(x).toLocaleString("en-US");

export async function benchPageLoad(context: Context): Promise<PageLoadFigures> {
  const { log } = context;
  const rounds = context.rounds ?? 3;
  const scenarios = pageLoadScenarios.filter((s) => !context.paths || context.paths.includes(s.path));
  let app: ChildProcess | undefined;
  try {
    const port = await freePort();
    const env = { ...process.env, DATABASE_URL: context.databaseUrl, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production" };
    const profile = context.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${context.cpuProfileDir}`] : [];
    app = spawn(process.execPath, [...profile, context.serverScript ?? path.join(projectRoot, "dist/src/server.js")], { env, stdio: "ignore" });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`, app, "the app");
    const cookie = cookieHeader((await signIn(base, context.username, context.password)).cookies);
    // gzip as a browser asks for it: the compression is part of each page's cost.
    const headers = { cookie, "accept-encoding": "gzip" };
    log(`page load: app (pid ${app.pid}) started; ${rounds} rounds of ${warmupSeconds} s warm-up + ${measureSeconds} s with ${connections} connections per page`);
    const runs: Record<string, PageLoadResult[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        const result = await runLoad({ url: base, path: scenario.path, headers, okStatuses: [200], connections, warmupSeconds, seconds: measureSeconds });
        (runs[scenario.path] ??= []).push(result);
        log(`round ${round + 1}, ${scenario.path}: ${thousands(result.perSecond)} pages/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.failures} errors`);
      }
    }
    const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");
    let missed = 0;
    const lines = [
      "## The inventory under load",
      "",
      `autocannon, ${connections} connections on loopback, one signed-in admin session (signed in through the form; the session is checked on every request), gzip; ${rounds} rounds of ${measureSeconds} s after ${warmupSeconds} s of warm-up, alternating between the pages; each page's better round. The app runs as \`npm start\` runs it.`,
      "",
      "| page | pages/s | p50 | p99 | requests | errors (not 200) | target | |",
      "|---|--:|--:|--:|--:|--:|---|---|",
    ];
    for (const scenario of scenarios) {
      const all = runs[scenario.path]!;
      const best = all.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
      const failures = all.reduce((sum, r) => sum + r.failures, 0);
      const ok = best.perSecond >= scenario.minPerSecond && (scenario.maxP99Ms === undefined || best.p99 <= scenario.maxP99Ms) && failures === 0;
      if (!ok) missed++;
      const target = `≥ ${scenario.minPerSecond}/s${scenario.maxP99Ms === undefined ? "" : `, p99 ≤ ${scenario.maxP99Ms} ms`}, no errors`;
      lines.push(`| ${scenario.name} | ${thousands(best.perSecond)} | ${best.p50} ms | ${best.p99} ms | ${thousands(best.requests)} | ${failures} (all rounds) | ${target} | ${verdict(ok)} |`);
    }
    lines.push("");
    for (const scenario of scenarios) {
      lines.push(`- All rounds, \`${scenario.path}\`: ${runs[scenario.path]!.map((r) => `${thousands(r.perSecond)}/s (p50 ${r.p50}, p99 ${r.p99} ms)`).join("; ")}`);
    }
    return { lines, missed, runs };
  } finally {
    await stopProcess(app, 20_000);
  }
}
