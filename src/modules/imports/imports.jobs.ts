// The background steps of large imports. A step cut short by a restart is not retried on
// its own (a commit half-seen by a person is worse than a clear "failed"): the import is
// marked failed, nothing of the step is left (each step is one transaction), and the
// person starts it again from the stored file.
import type { JobHandler } from "../../jobs/job-worker.js";
import type { Caller } from "../../shared/actor.js";
import type { Db } from "../../db/prisma.js";
import type { ImportMetrics } from "../../shared/metrics.js";
import {
  checkJobKind,
  cleanupJobKind,
  commitJobKind,
  dropAcceptedRows,
  failImport,
  failInterruptedImport,
  purgeStaleImports,
  runCheck,
  runCommit,
  type ImportLimits,
} from "./imports.service.js";

interface ImportJobPayload {
  importId: number;
  caller: Caller;
}

const payloadOf = (payload: Record<string, unknown>) => payload as unknown as ImportJobPayload;

/**
 * An unexpected error (the database went away) fails the import too, not only the job.
 * A stop (the signal aborted) is left to `interrupted`, which fails the import with its
 * own message in the transaction that ends the job.
 */
async function failingImport(db: Db, importId: number, signal: AbortSignal, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!signal.aborted) await failImport(db, importId).catch(() => {});
    throw error;
  }
}

export function importJobHandlers(limits: ImportLimits, metrics: ImportMetrics): Record<string, JobHandler> {
  const interrupted: JobHandler["interrupted"] = async (tx, job) => failInterruptedImport(tx, payloadOf(job.payload).importId);
  return {
    // Daily; running it twice or again after an interruption does no harm.
    "import-purge": {
      onInterrupted: "retry",
      maxAttempts: 3,
      repeatEveryMs: 24 * 3_600_000,
      run: async (ctx, db) => {
        ctx.log.info(await purgeStaleImports(db), "stale imports purged");
      },
    },
    // After a commit; deleting twice does no harm.
    [cleanupJobKind]: {
      onInterrupted: "retry",
      maxAttempts: 3,
      run: async (ctx, db) => {
        await dropAcceptedRows(db, payloadOf(ctx.payload).importId);
      },
    },
    [checkJobKind]: {
      onInterrupted: "fail",
      maxAttempts: 1,
      interrupted,
      run: async (ctx, db) => {
        const { importId } = payloadOf(ctx.payload);
        await failingImport(db, importId, ctx.signal, () => runCheck(db, importId, limits, (done, total) => ctx.progress(done, total), metrics, ctx.signal));
      },
    },
    [commitJobKind]: {
      onInterrupted: "fail",
      maxAttempts: 1,
      interrupted,
      run: async (ctx, db) => {
        const { importId, caller } = payloadOf(ctx.payload);
        await failingImport(db, importId, ctx.signal, () => runCommit(db, importId, caller, metrics, ctx.signal));
      },
    },
  };
}
