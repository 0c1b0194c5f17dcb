-- CreateEnum
CREATE TYPE "JobState" AS ENUM ('queued', 'running', 'done', 'failed');

-- CreateTable
CREATE TABLE "job" (
    "id" BIGSERIAL NOT NULL,
    "kind" VARCHAR(50) NOT NULL,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "state" "JobState" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_by" VARCHAR(100),
    "locked_until" TIMESTAMPTZ(3),
    "progress_done" BIGINT,
    "progress_total" BIGINT,
    "error" TEXT,
    "singleton_key" VARCHAR(100),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);

-- Hand-written: the claim takes the queued job that is due first. Only queued rows are
-- indexed, so finished jobs piling up over the years cost the claim nothing.
CREATE INDEX "job_queued_run_at_idx" ON "job"("run_at", "id") WHERE "state" = 'queued';

-- Hand-written: the sweep for running jobs whose lease ran out (their instance died).
CREATE INDEX "job_running_locked_until_idx" ON "job"("locked_until") WHERE "state" = 'running';

-- Hand-written: one queued or running job per singleton key, however many instances
-- start (a recurring job such as the session purge), while finished ones stay as history.
CREATE UNIQUE INDEX "job_singleton_key_key" ON "job"("singleton_key") WHERE "state" IN ('queued', 'running');
