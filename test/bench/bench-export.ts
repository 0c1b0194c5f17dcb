// The export part of `npm run bench`: the whole inventory as CSV through the real app over
// HTTP (as a browser asks for it: gzip), beside PostgreSQL writing the same rows as CSV
// itself (`COPY (the export's query) TO STDOUT`), with the server's resident memory sampled
// during the download; and 100,000 DIDs as XLSX. The app runs in this process, so its
// memory is this process's: the client here only counts the bytes it receives.
import http from "node:http";
import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { defaultListQuery } from "../../src/modules/dids/did-filters.js";
import { exportDidsSql } from "../../src/modules/dids/dids.repo.js";
import { everything } from "../../src/shared/actor.js";

export interface ExportFigures {
  lines: string[];
  missed: number;
}

interface Context {
  base: string;
  cookie: string;
  client: pg.Client;
  log: (message: string) => void;
}

const csvTargetMs = 5000;
const csvCopyRatioTarget = 3;
const rssGrowthTarget = 100 * 1024 * 1024;
const xlsxTargetMs = 10_000;
const xlsxRows = 100_000;
const rssSampleMs = 10;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");

interface Download {
  ms: number;
  firstByteMs: number;
  bytes: number;
  /** Peak resident memory of this process during the download, above what it was before. */
  rssGrowth: number;
}

/** One download over HTTP, read to the end and thrown away as it arrives. */
function download(ctx: Context, path: string, encoding: "gzip" | "identity"): Promise<Download> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), rssSampleMs);
  const started = performance.now();
  return new Promise<Download>((resolve, reject) => {
    const request = http.get(ctx.base + path, { headers: { cookie: ctx.cookie, "accept-encoding": encoding } }, (response) => {
      let bytes = 0;
      let firstByteMs: number | undefined;
      response.on("data", (chunk: Buffer) => {
        firstByteMs ??= performance.now() - started;
        bytes += chunk.length;
      });
      response.on("end", () => {
        const ms = performance.now() - started;
        peak = Math.max(peak, process.memoryUsage().rss);
        if (response.statusCode !== 200 || !response.complete) reject(new Error(`GET ${path} answered ${response.statusCode}${response.complete ? "" : ", cut short"}`));
        else resolve({ ms, firstByteMs: firstByteMs ?? ms, bytes, rssGrowth: peak - before });
      });
      response.on("error", reject);
    });
    request.on("error", reject);
  }).finally(() => clearInterval(sampler));
}

/** PostgreSQL alone writing the same rows as CSV, read to the end by this process. */
async function copyOut(client: pg.Client, sql: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of client.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, HEADER)`))) bytes += (chunk as Buffer).length;
  return { ms: performance.now() - started, bytes };
}

export async function benchExport(ctx: Context): Promise<ExportFigures> {
  const { client, log } = ctx;
  const total = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM did")).rows[0]!.n);

  // The export's statement for the whole inventory in the list's default order, with its
  // columns as they are (the app's CSV statement also formats each cell, with bind
  // parameters, which COPY cannot take): what PostgreSQL needs to write these rows as CSV.
  const sql = exportDidsSql({ kind: "search", query: defaultListQuery }, defaultListQuery, everything);
  if (sql.values.length > 0) throw new Error("the unfiltered export has parameters: COPY cannot take them");
  // 100,000 DIDs by a number range (read only; the range covers them in number order),
  // for the XLSX export, and first as a warm-up, so that the figures below are not those of
  // code compiled and a heap grown for the first time.
  const length = (await client.query<{ l: number }>("SELECT length(number) AS l FROM did GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).rows[0]!.l;
  const range = await client.query<{ first: string; last: string; n: string }>(
    `SELECT min(number) AS first, max(number) AS last, count(*) AS n FROM (SELECT number FROM did WHERE length(number) = $1 ORDER BY number LIMIT $2) r`,
    [length, xlsxRows],
  );
  const { first, last, n } = range.rows[0]!;
  await download(ctx, `/dids/export?format=csv&from=${first}&to=${last}`, "gzip");

  const copies: number[] = [];
  const csv: Download[] = [];
  // Alternately, so that both see the machine in the same state: COPY, then the app.
  for (let round = 0; round < 2; round++) {
    const copy = await copyOut(client, sql.text);
    copies.push(copy.ms);
    const app = await download(ctx, "/dids/export?format=csv", "gzip");
    csv.push(app);
    log(`CSV export of ${total.toLocaleString("en-US")}: app ${seconds(app.ms)} (first byte ${app.firstByteMs.toFixed(0)} ms, ${mb(app.bytes)} gzip, RSS +${mb(app.rssGrowth)}), COPY ${seconds(copy.ms)} (${mb(copy.bytes)})`);
  }
  const identity = await download(ctx, "/dids/export?format=csv", "identity");
  log(`CSV export without gzip: ${seconds(identity.ms)} (${mb(identity.bytes)}, RSS +${mb(identity.rssGrowth)})`);
  const best = csv.reduce((a, b) => (b.ms < a.ms ? b : a));
  const copyBest = Math.min(...copies);
  const ratio = best.ms / copyBest;
  const rssGrowth = Math.max(...csv.map((d) => d.rssGrowth), identity.rssGrowth);
  const csvPass = best.ms <= csvTargetMs && ratio <= csvCopyRatioTarget;
  const rssPass = rssGrowth <= rssGrowthTarget;

  const xlsxPath = `/dids/export?format=xlsx&from=${first}&to=${last}`;
  const xlsx = await download(ctx, xlsxPath, "gzip");
  log(`XLSX export of ${Number(n).toLocaleString("en-US")}: ${seconds(xlsx.ms)} (${mb(xlsx.bytes)}, RSS +${mb(xlsx.rssGrowth)})`);
  const xlsxPass = xlsx.ms <= xlsxTargetMs;

  const lines = [
    "## Export",
    "",
    "| export | app over HTTP | PostgreSQL alone | target | pass/fail |",
    "|---|--:|--:|--:|---|",
    `| CSV of all ${total.toLocaleString("en-US")} DIDs (\`/dids/export\`, gzip), best of 2 | ${seconds(best.ms)} (${csv.map((d) => seconds(d.ms)).join(", ")}); first byte after ${best.firstByteMs.toFixed(0)} ms; ${mb(best.bytes)} on the wire | \`COPY (the export's query) TO STDOUT\`: ${seconds(copyBest)} (${copies.map(seconds).join(", ")}) | ≤ ${csvTargetMs / 1000} s and ≤ ${csvCopyRatioTarget}× COPY (${ratio.toFixed(2)}×) | ${verdict(csvPass)} |`,
    `| the server's resident memory during those downloads (sampled every ${rssSampleMs} ms) | +${mb(rssGrowth)} at most | | ≤ +${mb(rssGrowthTarget)} | ${verdict(rssPass)} |`,
    `| the same CSV without gzip, for comparison | ${seconds(identity.ms)}; ${mb(identity.bytes)} | | | |`,
    `| XLSX of ${Number(n).toLocaleString("en-US")} DIDs (\`from=…&to=…\`, number order) | ${seconds(xlsx.ms)}; ${mb(xlsx.bytes)}; RSS +${mb(xlsx.rssGrowth)} | | ≤ ${xlsxTargetMs / 1000} s${Number(n) < xlsxRows ? ` (for ${xlsxRows.toLocaleString("en-US")})` : ""} | ${verdict(xlsxPass)} |`,
    "",
    "The app's time runs from the request to the last byte: the session check, the search read as the page reads it, a declared cursor fetched 2,000 rows at a time, each line written by PostgreSQL (status labels, formula neutralising, quoting), gzip (fastest level), HTTP. COPY writes the same rows as CSV inside PostgreSQL and sends them to this process. Memory: the growth of this process's resident size (the app runs in it) over what it was before each download, after one warm-up export (the XLSX's rows, as CSV).",
  ];
  return { lines, missed: [csvPass, rssPass, xlsxPass].filter((pass) => !pass).length };
}
