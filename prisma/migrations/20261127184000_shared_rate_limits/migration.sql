-- Rate-limit counters shared by every app instance (issue 11): the sign-in throttle and
-- the routing API's limits. rate-limiter-flexible's PostgreSQL store reads and upserts
-- one row per key (key = limiter prefix + what it counts). expire is in epoch
-- milliseconds, as the library writes it. UNLOGGED: counters of the last minutes are not
-- worth a WAL write per attempt, and a crash that empties them only resets the windows.
-- The hourly session purge job deletes rows expired for an hour.

-- CreateTable
CREATE UNLOGGED TABLE "rate_limit" (
    "key" TEXT NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "rate_limit_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "rate_limit_expire_idx" ON "rate_limit"("expire");
