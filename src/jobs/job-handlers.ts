// The kinds of background job the app runs, by name: the registry the server's worker
// is started with (app.ts): the session purge, the hold scheduler, the compaction of the
// DID counts and the background steps of imports.
import type { AppConfig } from "../config.js";
import { deleteExpiredCounters } from "../db/shared-counters.js";
import { purgeExpiredSessions, type SessionPolicy } from "../modules/auth/auth.service.js";
import { holdScheduler } from "../modules/assignments/hold-scheduler.jobs.js";
import { didCountCompact } from "../modules/dids/did-counts.jobs.js";
import { importJobHandlers } from "../modules/imports/imports.jobs.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { noHoldSchedulerMetrics, noImportMetrics, type HoldSchedulerMetrics, type ImportMetrics } from "../shared/metrics.js";
import type { JobHandler } from "./job-worker.js";

export function jobHandlers(
  config: AppConfig,
  clock: Clock = systemClock,
  metrics: ImportMetrics & HoldSchedulerMetrics = { ...noImportMetrics, ...noHoldSchedulerMetrics },
): Record<string, JobHandler> {
  return {
    "hold-scheduler": holdScheduler(clock, metrics),
    "did-count-compact": didCountCompact(),
    "session-purge": sessionPurge({ idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours }),
    ...importJobHandlers({ inlineMaxBytes: config.importInlineMaxBytes, maxNumbers: config.importMaxNumbers }, metrics),
  };
}

/**
 * Hourly. Expired sessions are refused when used, and expired rate-limit counters start
 * again when used: this only keeps the tables small, so running it twice, or once more
 * after an interruption, does no harm.
 */
export function sessionPurge(policy: SessionPolicy): JobHandler {
  return {
    maxAttempts: 3,
    onInterrupted: "retry",
    repeatEveryMs: 3_600_000,
    async run(ctx, db) {
      const purged = await purgeExpiredSessions(db, policy);
      const counters = await deleteExpiredCounters(db);
      ctx.log.info({ purged, counters }, "expired sessions and rate-limit counters purged");
    },
  };
}
