// A write that waits a bounded time for rows another write holds, and answers "busy"
// (the person tries again) instead of a 500 when PostgreSQL gives up on a lock or a
// deadlock, or Prisma's transaction expired meanwhile.
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "./prisma.js";

export type Busy = { kind: "busy" };

/** PostgreSQL's deadlock, serialization and lock-timeout errors, and Prisma's expired transaction: "try again". */
export function isConflictError(error: unknown): boolean {
  const e = error as { code?: string; message?: string; meta?: unknown };
  if (e?.code === "P2028") return true;
  const text = `${e?.message ?? String(error)} ${JSON.stringify(e?.meta ?? {})}`;
  return /40P01|40001|55P03|deadlock detected|could not serialize|lock timeout|Transaction already closed/i.test(text);
}

/** How long a change waits for rows another change holds before it says "try again". */
export const lockWaitMs = 10_000;

/** Runs `work` in a transaction whose lock waits end after `lockTimeoutMs`; a conflict is `{ kind: "busy" }`. */
export async function runLocked<T>(db: Db, work: (tx: Prisma.TransactionClient) => Promise<T>, lockTimeoutMs = lockWaitMs): Promise<T | Busy> {
  try {
    return await db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT set_config('lock_timeout', ${`${Math.max(1, Math.round(lockTimeoutMs))}ms`}, true)`;
        return work(tx);
      },
      // Thousands of DIDs take a second or two; a person waits for them.
      { timeout: 60_000, maxWait: lockTimeoutMs },
    );
  } catch (error) {
    if (isConflictError(error)) return { kind: "busy" };
    throw error;
  }
}
