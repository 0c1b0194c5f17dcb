// The hold scheduler, a recurring job on the PostgreSQL queue: every minute, subscriptions
// past their end day are deactivated (their DIDs go on hold), then DIDs whose hold has
// ended take their after-hold status. The queue runs one such job at a time across
// instances (a singleton), and the statements themselves take their rows with SKIP LOCKED,
// so even two runs at once would share the work without doing any of it twice. A run
// after downtime catches up on everything that ended meanwhile.
import { randomUUID } from "node:crypto";
import type { JobHandler } from "../../jobs/job-worker.js";
import { systemCaller } from "../../shared/actor.js";
import type { Clock } from "../../shared/clock.js";
import { noHoldSchedulerMetrics, type HoldSchedulerMetrics } from "../../shared/metrics.js";
import { deactivateEndedSubscriptions } from "../subscriptions/subscriptions.service.js";
import { endExpiredHolds, holdBatchSize } from "./assignments.service.js";

export const holdSchedulerEveryMs = 60_000;

export function holdScheduler(clock: Clock, metrics: HoldSchedulerMetrics = noHoldSchedulerMetrics): JobHandler {
  return {
    maxAttempts: 3,
    // Each batch commits on its own: a run cut short leaves whole batches done, and the next run does the rest.
    onInterrupted: "retry",
    repeatEveryMs: holdSchedulerEveryMs,
    async run(ctx, db) {
      const caller = systemCaller(randomUUID());
      // On a stop, each stops between its transactions (ctx.signal): whole batches stay done.
      let ended: Awaited<ReturnType<typeof deactivateEndedSubscriptions>>;
      let released: number;
      try {
        ended = await deactivateEndedSubscriptions(db, caller, clock, ctx.signal);
        released = await endExpiredHolds(db, caller, clock, holdBatchSize, ctx.signal);
      } catch (error) {
        // A stop between batches is no failure (every deploy would count one).
        if (!ctx.signal.aborted) metrics.holdSchedulerFailed();
        throw error;
      }
      metrics.holdSchedulerRan({ subscriptionsEnded: ended.subscriptions, didsHeld: ended.dids, didsReleased: released });
      if (ended.subscriptions > 0 || released > 0) ctx.log.info({ subscriptions: ended.subscriptions, held: ended.dids, released }, "hold scheduler");
    },
  };
}
