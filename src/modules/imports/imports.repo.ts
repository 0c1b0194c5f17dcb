// The SQL of imports: the import rows, their stored files, the dry run's staging table and
// the commit. The dry run is set-based: the rows are copied into import_row, then a few
// statements mark each with the first reason it cannot be created.
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { setImmediate } from "node:timers/promises";
import { Readable } from "node:stream";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { Prisma } from "../../generated/prisma/client.js";
import type { Db, DbOrTx } from "../../db/prisma.js";
import type { Caller, Scope } from "../../shared/actor.js";
import { auditInsertSql, changesSql, recordAuditEvents } from "../audit/audit-log.js";
import type { ImportSettings } from "./import-settings.js";
import { rejectReasons, type RejectReason, type StagingRow } from "./import-rows.js";

export const importStates = ["uploaded", "checking", "checked", "importing", "done", "failed", "cancelled"] as const;
export type ImportState = (typeof importStates)[number];

/** What the report shows per reason: how many numbers and rows, and the first rows. */
export const reportRowsShown = 50;

export interface ReasonCount {
  reason: RejectReason;
  numbers: number;
  rows: number;
  firstRows: number[];
}

export interface ImportReport {
  /** Rows of the file read (the header excluded). */
  rows: number;
  /** Numbers in them (a range cell counts each of its numbers). */
  numbers: number;
  toCreate: number;
  rejected: ReasonCount[];
  operatorsToCreate: { names: string[]; count: number };
  warnings: { row: number; column: number; message: string }[];
  warningCount: number;
  /** After the commit: created, and skipped because someone created them meanwhile. */
  created?: number;
  skippedAtCommit?: number;
}

export interface ImportRun {
  id: number;
  fileName: string;
  fileKind: string;
  fileSize: bigint;
  resellerId: number | null;
  createdById: number | null;
  createdAt: Date;
  updatedAt: Date;
  state: ImportState;
  settings: ImportSettings;
  report: ImportReport | null;
  jobId: bigint | null;
  error: string | null;
  operationId: number | null;
  finishedAt: Date | null;
  createdBy: { username: string } | null;
}

/** The file is stored in pieces of this size. */
const chunkBytes = 1024 * 1024;

const runSelect = { include: { createdBy: { select: { username: true } } } } as const;
const asRun = (row: unknown) => row as ImportRun;

/** Imports of the scope: an admin's are everyone's; a reseller's users see their reseller's. */
function scopeWhere(scope: Scope) {
  return scope.resellerId === null ? {} : { resellerId: scope.resellerId };
}

export async function createImportRun(
  db: Db,
  data: { fileName: string; fileKind: string; fileSize: number; resellerId: number | null; createdById: number; settings: ImportSettings },
  filePath: string,
): Promise<number> {
  return db.$transaction(async (tx) => {
    const run = await tx.importRun.create({ data: { ...data, settings: data.settings as unknown as Prisma.InputJsonValue }, select: { id: true } });
    const handle = await open(filePath, "r");
    try {
      const buffer = Buffer.alloc(chunkBytes);
      for (let seq = 0; ; seq++) {
        const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
        if (bytesRead === 0) break;
        await tx.importFileChunk.create({ data: { importId: run.id, seq, data: Uint8Array.from(buffer.subarray(0, bytesRead)) } });
      }
    } finally {
      await handle.close();
    }
    return run.id;
  }, longTransaction);
}

/** Storing a 50 MB file, or deleting millions of staged rows, outlasts Prisma's 5 s default. */
const longTransaction = { timeout: 10 * 60_000, maxWait: 30_000 };

/** Writes the stored file to `path`, a piece at a time. */
export async function writeStoredFile(db: DbOrTx, importId: number, path: string): Promise<void> {
  async function* pieces() {
    for (let seq = 0; ; seq++) {
      const chunk = await db.importFileChunk.findUnique({ where: { importId_seq: { importId, seq } }, select: { data: true } });
      if (!chunk) return;
      yield Buffer.from(chunk.data);
    }
  }
  await pipeline(Readable.from(pieces()), createWriteStream(path));
}

export async function findImport(db: DbOrTx, scope: Scope, id: number): Promise<ImportRun | null> {
  return asRun(await db.importRun.findFirst({ where: { id, ...scopeWhere(scope) }, ...runSelect }));
}

/** What the progress bar polls every second: the import's state and its job's progress. */
export interface ImportProgress {
  id: number;
  state: ImportState;
  /** What the check found to create (shown while importing). */
  toCreate: number;
  progress: { done: number; total: number | null; queued: boolean };
}

/**
 * The progress bar's data in one query, without the import's settings and report: while
 * a large job keeps PostgreSQL and this process busy, every query less keeps the poll quick.
 */
export async function findImportProgress(db: DbOrTx, scope: Scope, id: number): Promise<ImportProgress | null> {
  const [row] = await db.$queryRaw<{ id: number; state: ImportState; to_create: number | null; job_state: string | null; done: number | null; total: number | null }[]>`
    SELECT r.id, r.state, (r.report->>'toCreate')::float8 AS to_create, j.state::text AS job_state,
      j.progress_done::float8 AS done, j.progress_total::float8 AS total
    FROM import_run r LEFT JOIN job j ON j.id = r.job_id
    WHERE r.id = ${id} AND (${scope.resellerId}::int IS NULL OR r.reseller_id = ${scope.resellerId}::int)`;
  if (!row) return null;
  return { id: row.id, state: row.state, toCreate: row.to_create ?? 0, progress: { done: row.done ?? 0, total: row.total, queued: row.job_state === "queued" } };
}

/** Locks the import for a change of state; null when it is not there (or not in scope). */
export async function lockImport(tx: DbOrTx, scope: Scope, id: number): Promise<ImportRun | null> {
  const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM import_run WHERE id = ${id} FOR UPDATE`;
  return locked.length === 0 ? null : findImport(tx, scope, id);
}

export async function updateImport(
  db: DbOrTx,
  id: number,
  data: Partial<{ state: ImportState; settings: ImportSettings; report: ImportReport | null; jobId: bigint | null; error: string | null; operationId: number; finishedAt: Date | null }>,
): Promise<void> {
  const { settings, report, ...rest } = data;
  await db.importRun.update({
    where: { id },
    data: {
      ...rest,
      ...(settings === undefined ? {} : { settings: settings as unknown as Prisma.InputJsonValue }),
      ...(report === undefined ? {} : { report: report === null ? Prisma.DbNull : (report as unknown as Prisma.InputJsonValue) }),
      updatedAt: new Date(),
    },
  });
}

/** Ends a running step as failed; a step already over (or an import no longer running) is left alone. */
export async function failStep(db: DbOrTx, id: number, error: string): Promise<void> {
  await db.importRun.updateMany({ where: { id, state: { in: ["checking", "importing"] } }, data: { state: "failed", jobId: null, error, updatedAt: new Date() } });
}

/** Back to the mapping with new reading settings, unless a step has started meanwhile. */
export async function backToMapping(db: DbOrTx, id: number, settings: ImportSettings): Promise<boolean> {
  const { count } = await db.importRun.updateMany({
    where: { id, state: { in: ["uploaded", "checked", "failed"] } },
    data: { settings: settings as unknown as Prisma.InputJsonValue, state: "uploaded", report: Prisma.DbNull, error: null, updatedAt: new Date() },
  });
  return count === 1;
}

export const importsPerPage = 50;

export async function listImports(db: Db, scope: Scope, before?: number): Promise<{ rows: ImportRun[]; more: boolean }> {
  const rows = await db.importRun.findMany({
    where: { ...scopeWhere(scope), ...(before === undefined ? {} : { id: { lt: before } }) },
    orderBy: { id: "desc" },
    take: importsPerPage + 1,
    ...runSelect,
  });
  return { rows: rows.slice(0, importsPerPage).map(asRun), more: rows.length > importsPerPage };
}

const copyEscapes: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\uFFFD" };

/**
 * A value in COPY's text format: \N is NULL; backslash, tab and line breaks are escaped.
 * PostgreSQL text cannot hold NUL: one in a rejected cell is shown as U+FFFD.
 */
function copyText(value: string | number | null): string {
  if (value === null) return "\\N";
  if (typeof value === "number") return String(value);
  return copySpecial.test(value) ? value.replace(copySpecialAll, (c) => copyEscapes[c]!) : value;
}
const copySpecial = /[\\\t\n\r\0]/;
const copySpecialAll = /[\\\t\n\r\0]/g;

/** Rows go to COPY in pieces of this many, not one write each. */
const copyBatchRows = 1000;

/** The longest stretch the staging loop keeps the event loop to itself. */
const yieldEveryMs = 2;

const stagingColumns = ["import_id", "seq", "row", "number", "operator_name", "operator_id", "status", "after_hold", "hold_days", "tag", "notes", "reason", "detail"];

/**
 * The dry run's writes, on one connection in one transaction: nothing of a check that
 * fails halfway is left. `copy` streams the staging rows in.
 */
export async function withStaging<T>(client: pg.PoolClient, importId: number, work: (copy: (rows: AsyncIterable<StagingRow>) => Promise<number>) => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    await client.query("DELETE FROM import_row WHERE import_id = $1", [importId]);
    const result = await work(async (rows) => {
      let seq = 0;
      async function* lines() {
        let batch: string[] = [];
        let slice = performance.now();
        for await (const r of rows) {
          const row = [importId, seq++, r.row, r.number, r.operatorName, r.operatorId, r.status, r.afterHold, r.holdDays, r.tag, r.notes, r.reason, r.detail];
          batch.push(row.map(copyText).join("\t"));
          if (batch.length === copyBatchRows) {
            yield `${batch.join("\n")}\n`;
            batch = [];
          }
          // Reading and converting rows is all promises, which never let I/O in: a turn of
          // the event loop every few milliseconds keeps the app's requests (the progress
          // bar among them) answered while a job runs in this process.
          if (performance.now() - slice >= yieldEveryMs) {
            await setImmediate();
            slice = performance.now();
          }
        }
        if (batch.length > 0) yield `${batch.join("\n")}\n`;
      }
      await pipeline(Readable.from(lines()), client.query(copyFrom(`COPY import_row (${stagingColumns.join(", ")}) FROM STDIN`)));
      return seq;
    });
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** Up to this many staged rows, a row-by-row join is cheap whatever the planner believes. */
const nestedLoopRowsMax = 5000;

/**
 * Marks the staged numbers that repeat within the file or exist already. Rows arrive
 * with every other reason set (import-rows.ts); these two need all the rows, and the
 * inventory. Runs inside withStaging.
 */
export async function classifyStaging(client: pg.PoolClient, importId: number, scope: Scope, staged: number): Promise<void> {
  // Rows just copied have no statistics yet, and the planner may join them to themselves
  // row by row (minutes for 100,000 rows). ANALYZE would fix the estimates, but it holds
  // a lock on import_row to the end of this transaction and would queue every other
  // import's check behind this one: for a large file, hash joins are simply asked for.
  if (staged > nestedLoopRowsMax) await client.query("SET LOCAL enable_nestloop = off");
  await client.query(
    `UPDATE import_row r SET reason = 'duplicate_in_file', detail = 'Also on row ' || f.first_row || '.'
     FROM (SELECT seq, first_value(row) OVER w AS first_row, row_number() OVER w AS n
           FROM import_row WHERE import_id = $1 AND reason IS NULL WINDOW w AS (PARTITION BY number ORDER BY seq)) f
     WHERE r.import_id = $1 AND r.seq = f.seq AND f.n > 1`,
    [importId],
  );
  // A number held outside the scope is "not available", as on the create form: which
  // reseller holds it is not for this user to learn.
  await client.query(
    `UPDATE import_row r SET reason = CASE WHEN $2::int IS NULL OR o.reseller_id = $2 THEN 'exists' ELSE 'out_of_scope' END,
       detail = CASE WHEN $2::int IS NULL OR o.reseller_id = $2 THEN NULL ELSE 'The number is held outside your stock.' END
     FROM did d JOIN operator o ON o.id = d.operator_id
     WHERE r.import_id = $1 AND r.reason IS NULL AND d.number = r.number`,
    [importId, scope.resellerId],
  );
}

/** The operators an import in `scope` may use, for finding them by name. */
export async function operatorNames(db: DbOrTx, scope: Scope): Promise<{ id: number; name: string }[]> {
  return db.operator.findMany({ where: scope.resellerId === null ? {} : { resellerId: scope.resellerId }, select: { id: true, name: true } });
}

/** The report's counts, from the classified staging rows. */
export async function stagingReport(db: pg.PoolClient | Db, importId: number): Promise<Pick<ImportReport, "numbers" | "toCreate" | "rejected" | "operatorsToCreate">> {
  const query = async <T>(text: string): Promise<T[]> =>
    "$queryRawUnsafe" in db ? db.$queryRawUnsafe<T[]>(text, importId) : (await db.query(text, [importId])).rows as T[];
  const groups = await query<{ reason: RejectReason | null; numbers: bigint | number; rows: bigint | number; first_rows: number[] }>(
    // Rows are counted and listed for the rejected only: sorting a million accepted rows'
    // numbers would cost seconds for nothing the report shows.
    `SELECT reason, count(*) AS numbers, count(DISTINCT row) FILTER (WHERE reason IS NOT NULL) AS rows,
       (array_agg(DISTINCT row ORDER BY row) FILTER (WHERE reason IS NOT NULL))[1:${reportRowsShown}] AS first_rows
     FROM import_row WHERE import_id = $1 GROUP BY reason`,
  );
  const operators = await query<{ name: string; total: bigint | number }>(
    `SELECT min(operator_name) AS name, count(*) OVER () AS total FROM import_row
     WHERE import_id = $1 AND reason IS NULL AND operator_id IS NULL GROUP BY lower(operator_name) ORDER BY 1 LIMIT ${reportRowsShown}`,
  );
  const byReason = new Map(groups.map((g) => [g.reason, g]));
  const rejected = rejectReasons.flatMap((reason) => {
    const g = byReason.get(reason);
    return g ? [{ reason, numbers: Number(g.numbers), rows: Number(g.rows), firstRows: g.first_rows }] : [];
  });
  return {
    numbers: groups.reduce((sum, g) => sum + Number(g.numbers), 0),
    toCreate: Number(byReason.get(null)?.numbers ?? 0),
    rejected,
    operatorsToCreate: { names: operators.map((o) => o.name), count: Number(operators[0]?.total ?? 0) },
  };
}

/** The rejected rows in file order, for the download. */
export function rejectedRowsSql(importId: number): { text: string; values: unknown[] } {
  return {
    text: `SELECT row, number, operator_name, status, after_hold, hold_days, tag, notes, reason, detail
           FROM import_row WHERE import_id = $1 AND reason IS NOT NULL ORDER BY seq`,
    values: [importId],
  };
}

/** Creates the operators the file names that do not exist yet, under `resellerId`, with their audit events. */
export async function createMissingOperators(tx: DbOrTx, importId: number, resellerId: number, caller: Caller): Promise<number> {
  const events = auditInsertSql(
    caller,
    "create",
    "operator",
    Prisma.sql`SELECT c.id AS object_id, c.reseller_id, c.name AS label, ${changesSql({ name: [Prisma.sql`NULL::text`, Prisma.sql`c.name::text`] })} AS changes FROM created c`,
  );
  const created = await tx.$executeRaw`
    WITH created AS (
      INSERT INTO operator (name, reseller_id)
      SELECT min(operator_name), ${resellerId}::int FROM import_row
      WHERE import_id = ${importId} AND reason IS NULL AND operator_id IS NULL AND operator_name IS NOT NULL
      GROUP BY lower(operator_name) ORDER BY 1
      ON CONFLICT (reseller_id, name) DO NOTHING
      RETURNING id, name, reseller_id
    )
    ${events}`;
  await tx.$executeRaw`
    UPDATE import_row r SET operator_id = o.id FROM operator o
    WHERE r.import_id = ${importId} AND r.reason IS NULL AND r.operator_id IS NULL
      AND o.reseller_id = ${resellerId} AND lower(o.name) = lower(r.operator_name)`;
  return created;
}

/**
 * Creates the staged numbers that passed the check, with their create events, in one
 * statement. Numbers someone created since the check are skipped (ON CONFLICT), and so
 * are rows whose operator was deleted or left the scope meanwhile. Returns how many were created.
 */
export async function insertStagedDids(tx: DbOrTx, importId: number, scope: Scope, batchId: number, caller: Caller): Promise<number> {
  const inScope = scope.resellerId === null ? Prisma.empty : Prisma.sql`AND o.reseller_id = ${scope.resellerId}`;
  const events = auditInsertSql(
    caller,
    "create",
    "did",
    Prisma.sql`SELECT i.id AS object_id, o.reseller_id, i.number AS label, ${changesSql({
      operator: [Prisma.sql`NULL::text`, Prisma.sql`o.name::text`],
      status: [Prisma.sql`NULL::text`, Prisma.sql`i.status::text`],
      after_hold_status: [Prisma.sql`NULL::text`, Prisma.sql`i.after_hold_status::text`],
      hold_days: [Prisma.sql`NULL::text`, Prisma.sql`i.hold_days::text`],
      tag: [Prisma.sql`NULL::text`, Prisma.sql`i.tag::text`],
      notes: [Prisma.sql`NULL::text`, Prisma.sql`i.notes::text`],
    })} AS changes
    FROM inserted i JOIN operator o ON o.id = i.operator_id`,
  );
  return tx.$executeRaw`
    WITH inserted AS (
      INSERT INTO did (number, status, operator_id, tag, notes, after_hold_status, hold_days, batch_id)
      SELECT r.number, r.status::"DidStatus", r.operator_id, r.tag, r.notes, r.after_hold::"AfterHoldStatus", r.hold_days::int, ${batchId}
      FROM import_row r JOIN operator o ON o.id = r.operator_id ${inScope}
      WHERE r.import_id = ${importId} AND r.reason IS NULL
      ORDER BY r.seq
      ON CONFLICT (number) DO NOTHING
      RETURNING id, number, status, operator_id, tag, notes, after_hold_status, hold_days
    )
    ${events}`;
}

export async function createImportOperation(tx: DbOrTx, caller: Caller): Promise<number> {
  const operation = await tx.operation.create({ data: { kind: "import", didCount: 0, createdById: caller.userId, requestId: caller.requestId }, select: { id: true } });
  return operation.id;
}

export async function finishImportOperation(tx: DbOrTx, id: number, created: number, skipped: number): Promise<void> {
  await tx.operation.update({ where: { id }, data: { didCount: created, skippedCount: skipped, finishedAt: new Date() } });
}

/** The import's own audit event: the file, its counts, and (in every event) the request id. */
export async function recordImportEvent(tx: DbOrTx, caller: Caller, run: ImportRun, counts: { rows: number; created: number; rejected: number; skipped: number }): Promise<void> {
  await recordAuditEvents(tx, caller, [
    {
      action: "import",
      objectType: "import",
      objectId: run.id,
      resellerId: run.resellerId,
      label: run.fileName,
      changes: { file: [null, run.fileName], rows: [null, counts.rows], created: [null, counts.created], rejected: [null, counts.rejected], skipped: [null, counts.skipped] },
    },
  ]);
}

/** The stored file and the staged rows of an import that will not run again. */
export async function dropImportWorkData(tx: DbOrTx, importId: number): Promise<void> {
  await tx.$executeRaw`DELETE FROM import_row WHERE import_id = ${importId}`;
  await dropStoredFile(tx, importId);
}

export async function dropStoredFile(tx: DbOrTx, importId: number): Promise<void> {
  await tx.$executeRaw`DELETE FROM import_file_chunk WHERE import_id = ${importId}`;
}

/** After the commit, only the rejected rows are of use (their download). */
export async function dropAcceptedRows(db: DbOrTx, importId: number): Promise<number> {
  return db.$executeRaw`DELETE FROM import_row WHERE import_id = ${importId} AND reason IS NULL`;
}

/**
 * Imports at the mapping step, checked or failed, untouched since `unfinishedBefore`, are
 * cancelled and their file and staging go; done ones lose their rejected rows after
 * `doneBefore`. The import rows themselves stay, for the list and the audit log.
 */
export async function purgeStaleImports(db: Db, unfinishedBefore: Date, doneBefore: Date): Promise<{ cancelled: number; cleared: number }> {
  return db.$transaction(async (tx) => {
    const stale = await tx.importRun.findMany({ where: { state: { in: ["uploaded", "checked", "failed"] }, updatedAt: { lt: unfinishedBefore } }, select: { id: true } });
    for (const { id } of stale) await dropImportWorkData(tx, id);
    await tx.importRun.updateMany({ where: { id: { in: stale.map((s) => s.id) } }, data: { state: "cancelled", error: "Cancelled: not finished within a week.", finishedAt: new Date(), updatedAt: new Date() } });
    const cleared = await tx.$executeRaw`DELETE FROM import_row r USING import_run i WHERE i.id = r.import_id AND i.state = 'done' AND i.finished_at < ${doneBefore}`;
    return { cancelled: stale.length, cleared };
  }, longTransaction);
}

/** For the progress bar of a CSV: its line count, read fast from the file. */
export async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}
