// The import part of `npm run bench`: files of 100,000 rows (CSV and .xlsx) and of
// 1,000,000 rows (CSV, as a background job) imported through the real app over HTTP,
// from upload to committed, each beside what PostgreSQL itself needs for the same rows
// (COPY into a staging table + one set-based insert into the inventory). While the
// million-row job runs, the progress fragment and the inventory's first page are timed.
// The bench's own DIDs, operations and events are removed afterwards.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import ExcelJS from "exceljs";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

export interface ImportFigures {
  lines: string[];
  missed: number;
}

interface Context {
  base: string;
  cookie: string;
  csrfToken: string;
  client: pg.Client;
  /** Seeded operators' names: the files name them. */
  operatorNames: string[];
  /** Digits no seeded number starts with. */
  rangePrefix: string;
  log: (message: string) => void;
}

const csvTargetMs = 9000;
const csvRatioTarget = 4;
const xlsxTargetMs = 20_000;
const millionTargetMs = 60_000;
const progressTargetMs = 50;
const firstPageTargetMs = 100;

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");
const statuses = ["in stock", "reserved", "archive"];

interface Row {
  number: string;
  operator: string;
  status: string;
  tag: string;
  notes: string;
}

function* rows(ctx: Context, prefix: string, count: number): Generator<Row> {
  for (let i = 0; i < count; i++) {
    yield {
      number: `${prefix}${String(i).padStart(7, "0")}`,
      operator: ctx.operatorNames[i % ctx.operatorNames.length]!,
      status: statuses[i % 3]!,
      tag: i % 10 === 0 ? "bench-import" : "",
      notes: i % 100 === 0 ? "imported by the bench; a note with, a comma" : "",
    };
  }
}

const csvQuote = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

function csvFile(ctx: Context, prefix: string, count: number): Buffer {
  const lines = ["DID,Operator,Status,Tag,Notes"];
  for (const r of rows(ctx, prefix, count)) lines.push([r.number, r.operator, r.status, r.tag, r.notes].map(csvQuote).join(","));
  return Buffer.from(lines.join("\n") + "\n");
}

async function xlsxFile(ctx: Context, prefix: string, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet("DIDs");
  sheet.addRow(["DID", "Operator", "Status", "Tag", "Notes"]).commit();
  for (const r of rows(ctx, prefix, count)) sheet.addRow([r.number, r.operator, r.status, r.tag, r.notes]).commit();
  await workbook.commit();
  return Buffer.concat(chunks);
}

async function postForm(ctx: Context, path: string, fields: Record<string, string>): Promise<Response> {
  return fetch(ctx.base + path, {
    method: "POST",
    body: new URLSearchParams({ ...fields, _csrf: ctx.csrfToken }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: ctx.cookie },
    redirect: "manual",
  });
}

async function importState(ctx: Context, id: number): Promise<{ state: string; operationId: number | null; error: string | null }> {
  const { rows: found } = await ctx.client.query<{ state: string; operation_id: number | null; error: string | null }>("SELECT state, operation_id, error FROM import_run WHERE id = $1", [id]);
  return { state: found[0]!.state, operationId: found[0]!.operation_id, error: found[0]!.error };
}

/** Waits for the import to leave a running step; `during` runs meanwhile, every 250 ms, told the step. */
async function settle(ctx: Context, id: number, during?: (state: string) => Promise<void>): Promise<string> {
  for (;;) {
    const { state, error } = await importState(ctx, id);
    if (state === "failed") throw new Error(`import ${id} failed: ${error}`);
    if (state !== "checking" && state !== "importing") return state;
    if (during) await during(state);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Upload, check with the proposed mapping, commit: the whole import as a person does it. */
async function importThroughApp(ctx: Context, name: string, content: Buffer, during?: (state: string) => Promise<void>): Promise<{ ms: number; checkedMs: number; operationId: number; created: number }> {
  const started = performance.now();
  const body = new FormData();
  body.set("_csrf", ctx.csrfToken);
  body.set("header", "1");
  body.set("status", "in_stock");
  body.set("after_hold", "in_stock");
  body.set("file", new Blob([new Uint8Array(content)]), name);
  const uploaded = await fetch(`${ctx.base}/imports`, { method: "POST", body, headers: { cookie: ctx.cookie }, redirect: "manual" });
  await uploaded.arrayBuffer();
  const id = Number(/\/imports\/(\d+)$/.exec(uploaded.headers.get("location") ?? "")?.[1]);
  if (uploaded.status !== 303 || !id) throw new Error(`uploading ${name} answered ${uploaded.status}`);
  const mapping = { col_0: "did", col_1: "operator", col_2: "status", col_3: "tag", col_4: "notes", header: "1", action: "check", ...(name.endsWith(".csv") ? { delimiter: "comma" } : {}) };
  const checked = await postForm(ctx, `/imports/${id}/mapping`, mapping);
  await checked.arrayBuffer();
  if (checked.status !== 303) throw new Error(`checking ${name} answered ${checked.status}`);
  if ((await settle(ctx, id, during)) !== "checked") throw new Error(`import ${id} is not checked`);
  const checkedMs = performance.now() - started;
  const committed = await postForm(ctx, `/imports/${id}/commit`, {});
  await committed.arrayBuffer();
  if ((await settle(ctx, id, during)) !== "done") throw new Error(`import ${id} is not done`);
  const ms = performance.now() - started;
  const { operationId } = await importState(ctx, id);
  const { rows: counted } = await ctx.client.query<{ n: string }>("SELECT count(*) AS n FROM did WHERE batch_id = $1", [operationId]);
  return { ms, checkedMs, operationId: operationId!, created: Number(counted[0]!.n) };
}

/** What PostgreSQL needs for the same rows: COPY into a staging table, then one INSERT ... SELECT. */
async function plainImport(ctx: Context, content: Buffer): Promise<number> {
  const { client } = ctx;
  const started = performance.now();
  await client.query("CREATE TEMP TABLE bench_staging (number text, operator text, status text, tag text, notes text)");
  await pipeline(Readable.from([content]), client.query(copyFrom("COPY bench_staging FROM STDIN (FORMAT csv, HEADER true)")));
  await client.query(
    `INSERT INTO did (number, status, operator_id, tag, notes)
     SELECT s.number, CASE s.status WHEN 'in stock' THEN 'in_stock' ELSE s.status END::"DidStatus", o.id, NULLIF(s.tag, ''), NULLIF(s.notes, '')
     FROM bench_staging s JOIN operator o ON o.name = s.operator`,
  );
  const elapsed = performance.now() - started;
  await client.query("DROP TABLE bench_staging");
  return elapsed;
}

async function removeImported(ctx: Context, operationId: number): Promise<void> {
  await ctx.client.query("DELETE FROM did WHERE batch_id = $1", [operationId]);
  await ctx.client.query("DELETE FROM audit_event WHERE request_id = (SELECT request_id FROM operation WHERE id = $1)", [operationId]);
}

export async function benchImport(ctx: Context): Promise<ImportFigures> {
  const { client, log } = ctx;
  const prefixes = { plain: `${ctx.rangePrefix}1`, csv: `${ctx.rangePrefix}2`, xlsx: `${ctx.rangePrefix}3`, million: `${ctx.rangePrefix}4`, plainMillion: `${ctx.rangePrefix}5` };
  const eventsBefore = (await client.query<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM audit_event")).rows[0]!.id;
  const imports = (await client.query<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM import_run")).rows[0]!.id;
  const operations: number[] = [];
  try {
    // 100,000 rows of CSV: the app, then PostgreSQL alone on the same rows.
    const csv = csvFile(ctx, prefixes.csv, 100_000);
    log(`import: 100,000-row CSV (${(csv.length / 2 ** 20).toFixed(1)} MB) through the app`);
    const viaApp = await importThroughApp(ctx, "bench-100k.csv", csv);
    operations.push(viaApp.operationId);
    await removeImported(ctx, viaApp.operationId);
    await client.query("VACUUM (ANALYZE) did");
    const plainMs = await plainImport(ctx, csvFile(ctx, prefixes.plain, 100_000));
    await client.query("DELETE FROM did WHERE number LIKE $1", [`${prefixes.plain}%`]);
    await client.query("VACUUM (ANALYZE) did");
    const ratio = viaApp.ms / plainMs;
    log(`import: CSV ${ms(viaApp.ms)} ms through the app, ${ms(plainMs)} ms in PostgreSQL alone (${ratio.toFixed(1)}×)`);

    const xlsx = await xlsxFile(ctx, prefixes.xlsx, 100_000);
    log(`import: 100,000-row .xlsx (${(xlsx.length / 2 ** 20).toFixed(1)} MB) through the app`);
    const viaXlsx = await importThroughApp(ctx, "bench-100k.xlsx", xlsx);
    operations.push(viaXlsx.operationId);
    await removeImported(ctx, viaXlsx.operationId);
    await client.query("VACUUM (ANALYZE) did");
    log(`import: .xlsx ${ms(viaXlsx.ms)} ms`);

    // A million rows as a background job, with the progress fragment and the inventory's
    // first page timed while it runs.
    const million = csvFile(ctx, prefixes.million, 1_000_000);
    log(`import: 1,000,000-row CSV (${(million.length / 2 ** 20).toFixed(1)} MB) as a background job`);
    const progressTimes: number[] = [];
    const pageTimes: number[] = [];
    // The slowest answers during the check and during the commit: their causes differ
    // (reading the file in this process; PostgreSQL writing a million rows).
    const slowestByStep = new Map<string, { progress: number; page: number }>();
    let progressPath = "";
    const during = async (state: string) => {
      if (!progressPath) {
        const { rows: latest } = await client.query<{ id: number }>("SELECT max(id) AS id FROM import_run");
        progressPath = `/imports/${latest[0]!.id}/progress`;
      }
      let started = performance.now();
      await (await fetch(ctx.base + progressPath, { headers: { cookie: ctx.cookie, "hx-request": "true" } })).arrayBuffer();
      const progressMs = performance.now() - started;
      started = performance.now();
      await (await fetch(`${ctx.base}/dids?per=50`, { headers: { cookie: ctx.cookie, "accept-encoding": "gzip" } })).arrayBuffer();
      const pageMs = performance.now() - started;
      progressTimes.push(progressMs);
      pageTimes.push(pageMs);
      const slowest = slowestByStep.get(state) ?? { progress: 0, page: 0 };
      slowestByStep.set(state, { progress: Math.max(slowest.progress, progressMs), page: Math.max(slowest.page, pageMs) });
    };
    const viaJob = await importThroughApp(ctx, "bench-1m.csv", million, during);
    operations.push(viaJob.operationId);
    const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(values.length * 0.95) - 1)] ?? 0;
    const progressMax = Math.max(0, ...progressTimes);
    const bySteps = [...slowestByStep].map(([step, slowest]) => `${step}: fragment ${ms(slowest.progress)} ms, page ${ms(slowest.page)} ms`).join("; ");
    log(`import: 1,000,000 rows in ${ms(viaJob.ms)} ms (uploaded and checked after ${ms(viaJob.checkedMs)} ms); progress fragment max ${ms(progressMax)} ms (${progressTimes.length} polls); first page p95 ${ms(p95(pageTimes))} ms meanwhile; slowest by step: ${bySteps}`);
    log("import: removing the million imported DIDs and their events");
    await removeImported(ctx, viaJob.operationId);
    await client.query("VACUUM (ANALYZE) did");
    // What PostgreSQL alone needs for a million rows, without any audit events: the floor
    // under the job's time on this machine.
    log("import: 1,000,000 rows in PostgreSQL alone (COPY + INSERT ... SELECT)");
    const plainMillionMs = await plainImport(ctx, csvFile(ctx, prefixes.plainMillion, 1_000_000));
    await client.query("DELETE FROM did WHERE number LIKE $1", [`${prefixes.plainMillion}%`]);
    await client.query("VACUUM (ANALYZE) did");
    log(`import: 1,000,000 rows in PostgreSQL alone: ${ms(plainMillionMs)} ms`);

    const results = [
      { ok: viaApp.ms <= csvTargetMs && ratio <= csvRatioTarget, line: `- Import of a 100,000-row CSV, upload to committed (check and commit as background jobs): ${ms(viaApp.ms)} ms; PostgreSQL alone (COPY into a staging table + one INSERT ... SELECT): ${ms(plainMs)} ms, ${ratio.toFixed(1)}× (targets ≤ ${csvTargetMs / 1000} s and ≤ ${csvRatioTarget}×)` },
      { ok: viaXlsx.ms <= xlsxTargetMs, line: `- Import of a 100,000-row .xlsx, upload to committed: ${ms(viaXlsx.ms)} ms (target ≤ ${xlsxTargetMs / 1000} s)` },
      { ok: viaJob.ms <= millionTargetMs, line: `- Import of a 1,000,000-row CSV as a background job, upload to committed: ${ms(viaJob.ms)} ms, of which upload and check ${ms(viaJob.checkedMs)} ms; PostgreSQL alone (COPY + one INSERT ... SELECT, no audit events): ${ms(plainMillionMs)} ms (target ≤ ${millionTargetMs / 1000} s)` },
      { ok: progressMax < progressTargetMs, line: `- Its progress fragment while it ran: slowest of ${progressTimes.length} polls ${ms(progressMax)} ms, p95 ${ms(p95(progressTimes))} ms; slowest by step: ${bySteps} (target < ${progressTargetMs} ms throughout)` },
      { ok: p95(pageTimes) <= firstPageTargetMs, line: `- The inventory's first page meanwhile: p95 ${ms(p95(pageTimes))} ms over ${pageTimes.length} requests (target ≤ ${firstPageTargetMs} ms)` },
    ];
    const created = [viaApp.created, viaXlsx.created, viaJob.created];
    if (created.join() !== "100000,100000,1000000") throw new Error(`the imports created ${created.join(", ")} DIDs`);
    return {
      lines: ["## Import", "", ...results.map((r) => `${r.line} — ${verdict(r.ok)}`), "", "Each import's DIDs and events are deleted again afterwards."],
      missed: results.filter((r) => !r.ok).length,
    };
  } finally {
    for (const prefix of Object.values(prefixes)) await client.query("DELETE FROM did WHERE number LIKE $1", [`${prefix}%`]).catch(() => {});
    await client.query("DELETE FROM audit_event WHERE id > $1", [eventsBefore]).catch(() => {});
    await client.query("DELETE FROM import_run WHERE id > $1", [imports]).catch(() => {});
    await client.query("DELETE FROM operation WHERE id = ANY($1::int[])", [operations]).catch(() => {});
    await client.query("VACUUM (ANALYZE) did").catch(() => {});
  }
}
