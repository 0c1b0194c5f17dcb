// Imports, step by step: upload (the file is stored with the import), map the columns,
// check (a dry run: nothing reaches the inventory), commit (one transaction) or cancel.
// Small files are checked and committed inside the request; larger ones by a background
// job (imports.jobs.ts) that any instance may run, while the page shows its progress.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Db, DbOrTx } from "../../db/prisma.js";
import { withPgClient } from "../../db/prisma.js";
import { enqueueJob } from "../../jobs/job-queue.js";
import type { Actor, Caller, Scope } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { noImportMetrics, type ImportMetrics } from "../../shared/metrics.js";
import { findOperator } from "../operators/operators.repo.js";
import { findReseller } from "../resellers/resellers.repo.js";
import { guessColumnMapping, type ImportField } from "./import-columns.js";
import { ImportFileError, inspectImportFile, readImportRows, type ImportRow, type ImportWarning } from "./import-files.js";
import { stagingRows, type OperatorLookup, type RowReading, type StagingRow } from "./import-rows.js";
import { parseMappingForm, type ImportDefaults, type ImportSettings, type MappingForm } from "./import-settings.js";
import * as repo from "./imports.repo.js";
import type { ImportReport, ImportRun } from "./imports.repo.js";

export interface ImportLimits {
  /** Files up to this size are checked and committed inside the request. */
  inlineMaxBytes: number;
  /** Most numbers one import may hold (ranges expanded). */
  maxNumbers: number;
}

/** Rows the mapping step previews. */
export const previewRows = 20;
/** Warnings kept in the report (the count says how many there were). */
const warningsKept = 50;

export const checkJobKind = "import-check";
export const commitJobKind = "import-commit";
export const cleanupJobKind = "import-cleanup";

/** The scope an import runs in: its starter's reseller, or everything for an admin's. */
export function importScope(run: Pick<ImportRun, "resellerId">): Scope {
  return { resellerId: run.resellerId };
}

/** Runs `work` on a copy of the stored file in a private temporary directory. */
async function withStoredFile<T>(db: DbOrTx, run: ImportRun, work: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "did-import-"));
  try {
    const file = path.join(dir, "upload");
    await repo.writeStoredFile(db, run.id, file);
    return await work(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export type UploadOutcome = { kind: "created"; id: number } | { kind: "invalid"; errors: FieldErrors };

export async function uploadImport(
  db: Db,
  actor: Actor,
  upload: { path: string; fileName: string; size: number },
  options: { defaults: ImportDefaults; headerRow: boolean },
): Promise<UploadOutcome> {
  if (options.defaults.operatorId !== undefined && !(await findOperator(db, actor.scope, options.defaults.operatorId))) {
    return { kind: "invalid", errors: { operator: "This operator does not exist (any more). Choose another." } };
  }
  let file;
  try {
    file = await inspectImportFile(upload.path, upload.fileName);
  } catch (error) {
    if (error instanceof ImportFileError) return { kind: "invalid", errors: { file: error.message } };
    throw error;
  }
  const settings: ImportSettings = { file, defaults: options.defaults, headerRow: options.headerRow, delimiter: file.delimiter, sheet: file.sheets?.[0] };
  const id = await repo.createImportRun(
    db,
    { fileName: upload.fileName.slice(0, 255), fileKind: file.kind, fileSize: upload.size, resellerId: actor.scope.resellerId, createdById: actor.userId, settings },
    upload.path,
  );
  return { kind: "created", id };
}

export interface Preview {
  rows: ImportRow[];
  columns: number;
  /** The header's cells, when the first row is one. */
  header: string[];
  mapping: ImportField[];
  warnings: ImportWarning[];
  error?: string;
}

/** The first rows of the file as the settings read it, and a mapping to start from. */
export async function previewImport(db: Db, run: ImportRun, settings: ImportSettings = run.settings): Promise<Preview> {
  const warnings: ImportWarning[] = [];
  const rows: ImportRow[] = [];
  let error: string | undefined;
  try {
    await withStoredFile(db, run, async (file) => {
      const options = { delimiter: settings.delimiter, sheet: settings.sheet, limit: previewRows + (settings.headerRow ? 1 : 0) };
      for await (const row of readImportRows(file, settings.file, options, warnings)) rows.push(row);
    });
  } catch (e) {
    if (!(e instanceof ImportFileError)) throw e;
    error = e.message;
  }
  const header = settings.headerRow ? (rows.shift()?.cells ?? []) : [];
  const columns = Math.max(header.length, ...rows.map((r) => r.cells.length), 0);
  const guessed = settings.headerRow ? guessColumnMapping(header) : [];
  const mapping = Array.from({ length: columns }, (_, i) => settings.mapping?.[i] ?? guessed[i] ?? "ignore");
  // A file without a header: a first column of numbers is most likely the DIDs.
  if (!mapping.includes("did") && !settings.mapping && columns > 0 && !settings.headerRow) mapping[0] = "did";
  return { rows, columns, header, mapping, warnings: relevantWarnings(warnings, mapping), error };
}

export type CheckOutcome =
  | { kind: "not-found" }
  | { kind: "wrong-state"; state: string }
  | { kind: "invalid"; form: MappingForm; errors: FieldErrors; preview: Preview }
  | { kind: "preview"; preview: Preview }
  | { kind: "started" }
  | { kind: "checked" };

/**
 * The mapping form posted. With `previewOnly`, only how to read the file changes (the
 * page shows the preview again); otherwise the mapping is checked, saved, and the dry run
 * starts: at once for a small file, as a job for a large one.
 */
export async function submitMapping(
  db: Db,
  caller: Actor & Caller,
  id: number,
  body: Record<string, unknown>,
  previewOnly: boolean,
  limits: ImportLimits,
  metrics: ImportMetrics = noImportMetrics,
): Promise<CheckOutcome> {
  const run = await repo.findImport(db, caller.scope, id);
  if (!run) return { kind: "not-found" };
  if (!["uploaded", "checked", "failed"].includes(run.state)) return { kind: "wrong-state", state: run.state };
  const before = await previewImport(db, run);
  const { form, errors } = parseMappingForm(body, run.settings, before.columns);
  const reading: ImportSettings = { ...run.settings, headerRow: form.headerRow, sheet: form.sheet ?? run.settings.sheet, delimiter: form.delimiter ?? run.settings.delimiter };
  const readingChanged = reading.headerRow !== run.settings.headerRow || reading.sheet !== run.settings.sheet || reading.delimiter !== run.settings.delimiter;
  if (previewOnly || readingChanged) {
    // A new way of reading makes new columns: the mapping starts again from the headers.
    const settings = { ...reading, mapping: readingChanged ? undefined : run.settings.mapping };
    if (!(await repo.backToMapping(db, id, settings))) return { kind: "wrong-state", state: "changed" };
    return { kind: "preview", preview: await previewImport(db, run, settings) };
  }
  if (form.createOperatorsUnder !== undefined && caller.scope.resellerId !== null && form.createOperatorsUnder !== caller.scope.resellerId) {
    errors.create_operators_under = "You can create operators only under your own reseller.";
  } else if (form.createOperatorsUnder !== undefined && !(await findReseller(db, caller.scope, form.createOperatorsUnder))) {
    errors.create_operators_under = "This reseller does not exist (any more). Choose another.";
  }
  if (Object.keys(errors).length > 0) return { kind: "invalid", form, errors, preview: { ...before, mapping: form.mapping.map((f) => f ?? "ignore") } };
  const settings: ImportSettings = { ...reading, mapping: form.mapping as ImportField[], createOperatorsUnder: form.createOperatorsUnder };
  return (await startStep(db, caller, run, settings, "checking", limits, metrics)) as CheckOutcome;
}

/** Moves the import into a step: run inline for a small file, or queue a job. */
async function startStep(
  db: Db,
  caller: Caller,
  run: ImportRun,
  settings: ImportSettings,
  state: "checking" | "importing",
  limits: ImportLimits,
  metrics: ImportMetrics,
): Promise<{ kind: "wrong-state"; state: string } | { kind: "started" } | { kind: "checked" } | { kind: "committed" }> {
  const inline = Number(run.fileSize) <= limits.inlineMaxBytes;
  const kind = state === "checking" ? checkJobKind : commitJobKind;
  const started = await db.$transaction(async (tx) => {
    const locked = await repo.lockImport(tx, importScope(run), run.id);
    if (!locked || locked.state !== run.state) return false;
    const jobId = inline ? null : BigInt(await enqueueJob(tx, { kind, payload: { importId: run.id, caller: callerPayload(caller) }, maxAttempts: 1 }));
    // The step's state is set here, under the lock, inline or not: a second click, a cancel
    // or a commit from another tab finds the import busy instead of racing this step.
    await repo.updateImport(tx, run.id, { settings, state, jobId, error: null });
    return true;
  });
  if (!started) return { kind: "wrong-state", state: "changed" };
  if (!inline) return { kind: "started" };
  try {
    const done = state === "checking" ? await runCheck(db, run.id, limits, undefined, metrics) : await runCommit(db, run.id, caller, metrics);
    return done ? { kind: state === "checking" ? "checked" : "committed" } : { kind: "wrong-state", state: "failed" };
  } catch (error) {
    await failImport(db, run.id).catch(() => {});
    throw error;
  }
}

const callerPayload = (caller: Caller) => ({ requestId: caller.requestId, userId: caller.userId, username: caller.username });

type Progress = (done: number, total?: number) => void;

/** The import left its step while the step ran (see runCheck). */
class StepOvertaken extends Error {}

/**
 * The dry run: every row of the file is read, turned into staging rows and classified.
 * All in one transaction; on a bad file the import fails with the reader's message.
 * Returns false when the import failed.
 */
export async function runCheck(db: Db, id: number, limits: ImportLimits, progress: Progress = () => {}, metrics: ImportMetrics = noImportMetrics, signal?: AbortSignal): Promise<boolean> {
  const run = await repo.findImport(db, { resellerId: null }, id);
  if (!run) return false;
  const { settings } = run;
  const warnings: ImportWarning[] = [];
  let rows = 0;
  // Rows read are counted as the progress is, not once per row: a file may have millions.
  let rowsCounted = 0;
  const countRows = () => {
    metrics.rowsChecked(rows - rowsCounted);
    rowsCounted = rows;
  };
  const stepEnded = metrics.stepStarted("check");
  try {
    const report = await withStoredFile(db, run, async (file) => {
      const total = settings.file.kind === "csv" ? await repo.countLines(file) : undefined;
      progress(0, total);
      const reading: RowReading = { mapping: settings.mapping ?? [], defaults: settings.defaults, operatorByName: await operatorLookup(db, run), restoreQuotes: settings.file.kind === "csv" };
      return withPgClient(db, (client) =>
        repo.withStaging(client, id, async (copy) => {
          const numbers = await copy(stagedRows(file, settings, reading, warnings, limits.maxNumbers, (n) => {
            // A stop (a job's signal) ends the check between rows: the throw rolls the
            // staging back with the rest of the check's transaction.
            signal?.throwIfAborted();
            rows = n;
            if (n % 5000 === 0) {
              progress(n, total);
              countRows();
            }
          }));
          progress(rows, total);
          await repo.classifyStaging(client, id, importScope(run), numbers);
          const counts = await repo.stagingReport(client, id);
          const relevant = relevantWarnings(warnings, settings.mapping ?? []);
          const report: ImportReport = { rows, ...counts, numbers, warnings: relevant.slice(0, warningsKept), warningCount: relevant.length };
          const ended = await client.query("UPDATE import_run SET state = 'checked', report = $2, job_id = NULL, updated_at = now() WHERE id = $1 AND state = 'checking'", [id, JSON.stringify(report)]);
          // Failed meanwhile (its job's lease ran out and another instance gave up on it): nothing of this check stays.
          if (ended.rowCount !== 1) throw new StepOvertaken();
          return report;
        }),
      );
    });
    return report !== undefined;
  } catch (error) {
    if (error instanceof StepOvertaken) return false;
    if (!(error instanceof ImportFileError)) throw error;
    await repo.failStep(db, id, error.message);
    return false;
  } finally {
    countRows();
    stepEnded();
  }
}

/**
 * Operators by name, ignoring case, among those the import's scope may use. A name no
 * operator has is created on commit when the mapping asked for it; a name of several
 * (an admin's import, two resellers' operators) is refused rather than guessed.
 */
async function operatorLookup(db: Db, run: ImportRun): Promise<OperatorLookup> {
  const byName = new Map<string, number[]>();
  for (const operator of await repo.operatorNames(db, importScope(run))) {
    const key = operator.name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), operator.id]);
  }
  const create = run.settings.createOperatorsUnder !== undefined;
  return (name) => {
    const ids = byName.get(name.toLowerCase()) ?? [];
    if (ids.length === 1) return { id: ids[0]! };
    if (ids.length > 1) return { reason: "ambiguous_operator", detail: `${ids.length} operators have this name.` };
    return create ? { create: true } : { reason: "unknown_operator", detail: `No operator is named “${name.slice(0, 60)}”.` };
  };
}

const numberWarnings = new Set(["number", "zero-padded-number", "long-number"]);

/** A number stored as a number matters in the DID column only; elsewhere (hold days) it is what was meant. */
function relevantWarnings(warnings: ImportWarning[], mapping: readonly ImportField[]): ImportWarning[] {
  return warnings.filter((w) => !numberWarnings.has(w.code) || mapping[w.column - 1] === "did" || w.column === 0);
}

/** The staging rows of the whole file; `onRow` hears the count of file rows read so far. */
async function* stagedRows(file: string, settings: ImportSettings, reading: RowReading, warnings: ImportWarning[], maxNumbers: number, onRow: (rows: number) => void): AsyncIterable<StagingRow> {
  let numbers = 0;
  let rows = 0;
  let header: string[] | undefined;
  for await (const row of readImportRows(file, settings.file, { delimiter: settings.delimiter, sheet: settings.sheet }, warnings)) {
    if (settings.headerRow && header === undefined) {
      header = row.cells;
      continue;
    }
    onRow(++rows);
    // Fewer cells than the header is normal (trailing empty cells are not written); more
    // is a shifted row or a stray delimiter, worth a look.
    if (header && row.cells.length > header.length) {
      warnings.push({ row: row.row, column: header.length + 1, code: "extra-cells", message: `The row has ${row.cells.length} cells, the header ${header.length}: check that its values are in the right columns.` });
    }
    for (const staged of stagingRows(row, reading, Math.max(maxNumbers - numbers, 1))) {
      if (++numbers > maxNumbers) throw new ImportFileError(`The file holds more than ${maxNumbers.toLocaleString("en-US")} numbers, the most one import takes. Split it into several files.`);
      yield staged;
    }
  }
  if (rows === 0) throw new ImportFileError(settings.headerRow ? "The file has a header but no rows of data." : "The file has no rows of data.");
}

export type CommitOutcome = { kind: "not-found" } | { kind: "wrong-state"; state: string } | { kind: "started" } | { kind: "committed" };

export async function commitImport(db: Db, caller: Actor & Caller, id: number, limits: ImportLimits, metrics: ImportMetrics = noImportMetrics): Promise<CommitOutcome> {
  const run = await repo.findImport(db, caller.scope, id);
  if (!run) return { kind: "not-found" };
  if (run.state !== "checked") return { kind: "wrong-state", state: run.state };
  return startStep(db, caller, run, run.settings, "importing", limits, metrics) as Promise<CommitOutcome>;
}

/**
 * The commit, in one transaction: missing operators (if asked), the operation, the DIDs
 * and their events, the import's own event, the import marked done. Returns false if the
 * import was not ready (cancelled meanwhile).
 */
export async function runCommit(db: Db, id: number, caller: Caller, metrics: ImportMetrics = noImportMetrics, signal?: AbortSignal): Promise<boolean> {
  const stepEnded = metrics.stepStarted("commit");
  try {
    const created = await commitInTransaction(db, id, caller, signal);
    if (created !== undefined) metrics.didsImported(created);
    return created !== undefined;
  } finally {
    stepEnded();
  }
}

/** runCommit's transaction: the count of DIDs created, or undefined if the import was not ready. */
async function commitInTransaction(db: Db, id: number, caller: Caller, signal?: AbortSignal): Promise<number | undefined> {
  return db.$transaction(
    async (tx) => {
      // A stop before the commit began: not begun at all. Once begun, it runs to its end (it
      // is one transaction, mostly one statement): an interruption would only waste it, and
      // if the app's deadline comes first, the connection's end rolls it back whole.
      signal?.throwIfAborted();
      const run = await repo.lockImport(tx, { resellerId: null }, id);
      if (!run || run.state !== "importing" || !run.report) return undefined;
      const scope = importScope(run);
      const createUnder = run.settings.createOperatorsUnder;
      if (createUnder !== undefined) await repo.createMissingOperators(tx, id, createUnder, caller);
      const operationId = await repo.createImportOperation(tx, caller);
      const created = await repo.insertStagedDids(tx, id, scope, operationId, caller);
      const skipped = run.report.toCreate - created;
      await repo.finishImportOperation(tx, operationId, created, skipped);
      const rejected = run.report.numbers - run.report.toCreate;
      await repo.recordImportEvent(tx, caller, run, { rows: run.report.rows, created, rejected, skipped });
      await repo.dropStoredFile(tx, id);
      // The accepted staging rows go after the commit, not inside it: deleting a million
      // rows would hold the import up by seconds.
      await enqueueJob(tx, { kind: cleanupJobKind, payload: { importId: id } });
      await repo.updateImport(tx, id, { state: "done", operationId, report: { ...run.report, created, skippedAtCommit: skipped }, jobId: null, finishedAt: new Date() });
      return created;
    },
    // A million rows take a while: the default interactive timeout (5 s) would cut it.
    { timeout: 30 * 60_000, maxWait: 30_000 },
  );
}

/** Deleting a large import's staging (millions of rows) outlasts Prisma's 5 s default. */
const longTransaction = { timeout: 10 * 60_000, maxWait: 30_000 };

export type SimpleOutcome = { kind: "not-found" } | { kind: "wrong-state"; state: string } | { kind: "done" };

/** Cancels an import that is not done: its file and staging go, the row stays for the list. */
export async function cancelImport(db: Db, actor: Actor, id: number): Promise<SimpleOutcome> {
  return db.$transaction(async (tx) => {
    const run = await repo.lockImport(tx, actor.scope, id);
    if (!run) return { kind: "not-found" };
    if (!["uploaded", "checked", "failed"].includes(run.state)) return { kind: "wrong-state", state: run.state };
    await repo.dropImportWorkData(tx, id);
    await repo.updateImport(tx, id, { state: "cancelled", finishedAt: new Date() });
    return { kind: "done" };
  }, longTransaction);
}

/** Back to the mapping step, from the stored file: after a failure, or to change a checked mapping. */
export async function restartImport(db: Db, actor: Actor, id: number): Promise<SimpleOutcome> {
  return db.$transaction(async (tx) => {
    const run = await repo.lockImport(tx, actor.scope, id);
    if (!run) return { kind: "not-found" };
    if (run.state !== "failed" && run.state !== "checked") return { kind: "wrong-state", state: run.state };
    await repo.updateImport(tx, id, { state: "uploaded", error: null, report: null });
    return { kind: "done" };
  });
}

/** Marks an import failed when its job died with the app (the job queue calls this); a step already over is left as it ended. */
export async function failInterruptedImport(tx: DbOrTx, importId: number): Promise<void> {
  await repo.failStep(tx, importId, "The app stopped while this step ran, so nothing was written. Start again: the file is kept.");
}

/** Marks an import failed after an unexpected error in its step (logged by the worker or the error handler). */
export async function failImport(db: DbOrTx, importId: number): Promise<void> {
  await repo.failStep(db, importId, "This step failed unexpectedly, so nothing was written. Start again; if it fails again, tell your administrator.");
}

/** After a commit, in the background: the staged rows that became DIDs. */
export async function dropAcceptedRows(db: Db, importId: number): Promise<number> {
  return repo.dropAcceptedRows(db, importId);
}

/** An import left unfinished this long is cancelled and its file deleted. */
export const unfinishedImportDays = 7;
/** A finished import's rejected rows are kept this long for their download. */
export const rejectedRowsDays = 30;

/** Housekeeping (a daily job): stored files of abandoned imports, old rejected rows. */
export async function purgeStaleImports(db: Db, now = new Date()): Promise<{ cancelled: number; cleared: number }> {
  const day = 24 * 3600 * 1000;
  return repo.purgeStaleImports(db, new Date(now.getTime() - unfinishedImportDays * day), new Date(now.getTime() - rejectedRowsDays * day));
}

export async function findImport(db: Db, scope: Scope, id: number) {
  return repo.findImport(db, scope, id);
}

export async function findImportProgress(db: Db, scope: Scope, id: number) {
  return repo.findImportProgress(db, scope, id);
}

export async function listImports(db: Db, scope: Scope, before?: number) {
  return repo.listImports(db, scope, before);
}
