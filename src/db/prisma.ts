// The Prisma client, on the pure-JS pg driver adapter: no native query engine to download.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient, type Prisma } from "../generated/prisma/client.js";

export type Db = PrismaClient;
/** An open interactive transaction (the client `db.$transaction(async (tx) => ...)` hands over). */
export type Tx = Prisma.TransactionClient;
/** A client or an open transaction: repository functions accept either. */
export type DbOrTx = PrismaClient | Prisma.TransactionClient;

const pools = new WeakMap<object, pg.Pool>();
const connectionStrings = new WeakMap<object, string>();

export function createPrismaClient(connectionString: string, poolSize = 10): PrismaClient {
  // Our own pool, handed to Prisma, so that the per-request session check can use it
  // directly (see hotPathQuery); $disconnect() still ends it.
  const pool = new pg.Pool({ connectionString, max: poolSize });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  connectionStrings.set(client, connectionString);
  return client;
}

/** The connection pool under a client made by createPrismaClient (shared counters, metrics). */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("poolOf needs a client made by createPrismaClient");
  return pool;
}

/** The database a client made by createPrismaClient talks to, for a pool of another kind on it. */
export function connectionStringOf(db: Db): string {
  const connectionString = connectionStrings.get(db);
  if (connectionString === undefined) throw new Error("connectionStringOf needs a client made by createPrismaClient");
  return connectionString;
}

/**
 * One read on the connection pool under the Prisma client, without Prisma's per-query
 * work (about 0.7 ms measured): only for the queries that run on every request, the
 * session check, the inventory page's one statement and the routing API's lookup.
 * Everything else goes through Prisma. With a `name`, the statement is prepared once per
 * connection and then only executed (the name must be unique to `text`). A migration that
 * changes the type of a column such a statement returns makes it fail once on each
 * connection that prepared it ("cached plan must not change result type"); the pool
 * closes a connection on any error, so the read is tried again, on another connection,
 * at most once per connection of the pool.
 */
export async function hotPathQuery<T extends pg.QueryResultRow>(db: Db, text: string, values: unknown[], name?: string): Promise<T[]> {
  const pool = pools.get(db);
  if (!pool) throw new Error("hotPathQuery needs a client made by createPrismaClient");
  const config = name === undefined ? { text, values } : { name, text, values };
  for (let attempt = 0; ; attempt++) {
    try {
      return (await pool.query<T>(config)).rows;
    } catch (error) {
      const stalePlan = name !== undefined && (error as { code?: unknown }).code === "0A000";
      if (!stalePlan || attempt >= (pool.options.max ?? 10)) throw error;
    }
  }
}

/** The pool under the Prisma client, counted: what /metrics shows of it. */
export interface PoolStats {
  /** Connections handed out, running a query or held by a transaction. */
  inUse: number;
  /** Connections open and free. */
  idle: number;
  /** Callers queued for a connection. */
  waiting: number;
  /** The most connections the pool opens. */
  max: number;
}

/** Reads the pool's own counters: no query, no connection. */
export function poolStatsOf(db: Db): PoolStats {
  const pool = pools.get(db);
  if (!pool) throw new Error("poolStatsOf needs a client made by createPrismaClient");
  return { inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
}

/**
 * A connection of the pool under the Prisma client, for what Prisma cannot do: COPY and
 * cursors (the import's staging, the export's stream). Released however `work` ends.
 */
export async function withPgClient<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = pools.get(db);
  if (!pool) throw new Error("withPgClient needs a client made by createPrismaClient");
  const client = await pool.connect();
  try {
    const result = await work(client);
    client.release();
    return result;
  } catch (error) {
    // A connection left mid-COPY or mid-transaction is not given to anyone else.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/** True for a unique-constraint violation, however the driver reports it. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } }; cause?: unknown };
  if (e.code === "P2002" || e.code === "23505") return true;
  const cause = e.meta?.driverAdapterError?.cause;
  if (cause?.originalCode === "23505" || cause?.kind === "UniqueConstraintViolation") return true;
  return e.cause !== undefined && e.cause !== error && isUniqueViolation(e.cause);
}
