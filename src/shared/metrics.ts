// What services and jobs report to /metrics, as small interfaces: they count through these
// and never see prom-client or Fastify. The app's implementation is plugins/metrics.ts;
// callers without one (CLI, tests that run a job by hand) get the no-op versions here.

export type ImportStep = "check" | "commit";

export interface ImportMetrics {
  /** A check or commit begins in this process; call the function returned when it ends, however it ends. */
  stepStarted(step: ImportStep): () => void;
  /** More rows of a file were read by a check. */
  rowsChecked(rows: number): void;
  /** A commit put this many new DIDs into the inventory. */
  didsImported(dids: number): void;
}

export interface HoldSchedulerRun {
  /** Subscriptions past their end day, deactivated. */
  subscriptionsEnded: number;
  /** Their DIDs, put on hold. */
  didsHeld: number;
  /** DIDs whose hold ended and that took their after-hold status. */
  didsReleased: number;
}

export interface HoldSchedulerMetrics {
  holdSchedulerRan(run: HoldSchedulerRun): void;
  holdSchedulerFailed(): void;
}

export const noImportMetrics: ImportMetrics = {
  stepStarted: () => () => {},
  rowsChecked() {},
  didsImported() {},
};

export const noHoldSchedulerMetrics: HoldSchedulerMetrics = {
  holdSchedulerRan() {},
  holdSchedulerFailed() {},
};
