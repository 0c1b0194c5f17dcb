// The kinds of background job the app runs, by name: the registry the server's worker
// is started with (app.ts). The import kinds will join the session purge here.
import type { AppConfig } from "../config.js";
import { purgeExpiredSessions, type SessionPolicy } from "../modules/auth/auth.service.js";
import type { JobHandler } from "./job-worker.js";

export function jobHandlers(config: AppConfig): Record<string, JobHandler> {
  return {
    "session-purge": sessionPurge({ idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours }),
  };
}

/**
 * Hourly. Expired sessions are refused when used: this only keeps the table small, so
 * running it twice, or once more after an interruption, does no harm.
 */
export function sessionPurge(policy: SessionPolicy): JobHandler {
  return {
    maxAttempts: 3,
    onInterrupted: "retry",
    repeatEveryMs: 3_600_000,
    async run(ctx, db) {
      const purged = await purgeExpiredSessions(db, policy);
      ctx.log.info({ purged }, "expired sessions purged");
    },
  };
}
