// /healthz and /readyz, for load balancers, orchestrators and the container's health check.
// Registered in the root scope, beside the pages and the API: no session, cookie, CSRF or
// HTML error page touches them, and they never throw (no stack trace reaches a prober).
//
// /healthz: the process answers. No database call, so a database blip does not make every
// instance look dead at once (and get restarted) when restarting would not help.
// /readyz: this instance can serve: the database answers within a short time, and every
// migration of this build is applied. While the app stops (after SIGTERM), Fastify itself
// answers 503 to any request still arriving on an open connection (return503OnClosing),
// and new connections are refused: either way the balancer stops sending traffic.
import type { FastifyInstance, FastifyReply } from "fastify";
import { appliedMigrationsSql, pendingMigrations } from "../db/migrate.js";
import { hotPathQuery, type Db } from "../db/prisma.js";

export type Readiness = { ready: true } | { ready: false; reason: string; error?: unknown };

/** How long the database gets to answer a readiness probe. */
export const readinessTimeoutMs = 2_000;
/** Pending migrations named in the answer; the rest are counted. */
const namesShown = 5;

class TimedOut extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimedOut()), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The readiness check of one app. The database is asked on every call (a cached "yes"
 * would hide an outage), through the app's own pool: a pool whose every connection stays
 * busy past the timeout answers "no answer" too, and rightly, since the instance cannot
 * serve either. The migrations are asked only until they are all seen applied, since an
 * applied migration does not un-apply: from then on the probe is a bare `SELECT 1`.
 */
export function readinessCheck(db: Db, timeoutMs = readinessTimeoutMs): () => Promise<Readiness> {
  let migrated = false;
  const applied = async (): Promise<string[]> => {
    try {
      return (await hotPathQuery<{ migration_name: string }>(db, appliedMigrationsSql, [])).map((r) => r.migration_name);
    } catch (error) {
      // 42P01: no _prisma_migrations table yet, so nothing is applied.
      if ((error as { code?: string }).code === "42P01") return [];
      throw error;
    }
  };
  return async () => {
    let pending: string[];
    try {
      pending = await withTimeout(migrated ? hotPathQuery(db, "SELECT 1", []).then(() => []) : applied().then(pendingMigrations), timeoutMs);
    } catch (error) {
      return { ready: false, reason: error instanceof TimedOut ? `database unreachable (no answer in ${timeoutMs / 1000} s)` : "database unreachable", error };
    }
    if (pending.length > 0) {
      const more = pending.length > namesShown ? ` and ${pending.length - namesShown} more` : "";
      return { ready: false, reason: `migrations pending: ${pending.slice(0, namesShown).join(", ")}${more}` };
    }
    migrated = true;
    return { ready: true };
  };
}

function plain(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type("text/plain; charset=utf-8").header("cache-control", "no-store").send(body);
}

export default async function health(app: FastifyInstance, { db }: { db: Db }) {
  const ready = readinessCheck(db);
  app.get("/healthz", (_request, reply) => plain(reply, 200, "ok"));
  app.get("/readyz", async (request, reply) => {
    const readiness = await ready();
    if (readiness.ready) return plain(reply, 200, "ok");
    // The cause goes to the log; the prober gets the short reason only.
    request.log.warn({ err: readiness.error }, `not ready: ${readiness.reason}`);
    return plain(reply, 503, readiness.reason);
  });
}
