// "did-count-compact", a recurring job: every minute, the rows the did triggers added to
// did_count_delta are folded into one per (operator, status), so the inventory's total
// stays a sum over a few hundred rows however much is written (see the migration
// 20261127190000_did_counts). One statement: a reader sees the rows before or after it,
// with the same sums; rows written meanwhile by transactions it does not see stay as they
// are and are folded next time. Running twice at once would be harmless too.
import type { JobHandler } from "../../jobs/job-worker.js";
import { compactDidCounts } from "./dids.repo.js";

export const didCountCompactEveryMs = 60_000;

export function didCountCompact(): JobHandler {
  return {
    maxAttempts: 3,
    onInterrupted: "retry",
    repeatEveryMs: didCountCompactEveryMs,
    async run(_ctx, db) {
      await compactDidCounts(db);
    },
  };
}
