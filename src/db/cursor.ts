// Large results read a batch at a time through a server-side cursor, on a small pool of
// their own. Prisma's $queryRaw holds a whole result in memory, which a million-row export
// cannot afford; and a download holds its connection for as long as the client takes to
// read it, which must not starve the pool that serves the pages.
//
// The cursor is a declared one (DECLARE ... CURSOR, then FETCH), not pg-query-stream's
// protocol-level portal: PostgreSQL plans only a declared cursor for a fast start
// (cursor_tuple_fraction). A portal is planned for the whole result, which for a million
// rows in number order meant sorting all of them first: measured on 200,000 rows, the
// first row came after 0.9 to 1.3 s through a portal, after 10 to 60 ms through a cursor,
// for the same total time. (pg-query-stream also waits for ever when the connection dies
// mid-read.)
import pg from "pg";

/**
 * The rows of one query, fetched as they are read, a batch at a time: a reader that takes
 * a batch at once spends one await per batch rather than per row, and lets each batch go
 * before the next arrives (rows held across many turns of the event loop would be kept by
 * the garbage collector's young generation and pile up in the old one).
 */
export interface Cursor<T> extends AsyncIterable<T[]> {
  /**
   * Stops reading (the rest is never fetched) and frees the connection. Reading to the end
   * frees it too; calling this again, or after the end, does nothing.
   */
  close(): void;
}

/** Every connection of the pool stayed in use for longer than the pool's wait. */
export class CursorPoolBusy extends Error {
  constructor() {
    super("every connection for long reads is in use");
    this.name = "CursorPoolBusy";
  }
}

export interface CursorPoolOptions {
  /** Most cursors open at once. */
  size: number;
  /** How long a cursor waits for a free connection before CursorPoolBusy. */
  waitMs: number;
  /** A connection failed while idle in the pool (pg-pool would crash the process without a listener). */
  onIdleError: (error: Error) => void;
  /** How the connections show in pg_stat_activity, for a DBA wondering what reads so long. */
  applicationName: string;
}

export function createCursorPool(connectionString: string, options: CursorPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.size,
    connectionTimeoutMillis: options.waitMs,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName,
  });
  pool.on("error", options.onIdleError);
  return pool;
}

// pg-pool's words for "no connection became free in time" (a failure to reach the server
// reads differently).
const poolTimeout = "timeout exceeded when trying to connect";

async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    if (error instanceof Error && error.message === poolTimeout) throw new CursorPoolBusy();
    throw error;
  }
}

const ignore = () => {};

/**
 * Declares a cursor for `sql` and fetches its first batch of rows, so that a query that
 * fails does so here, before the caller has answered anything. The rest is fetched
 * `batchSize` rows at a time as they are read (the next batch is asked for while the
 * current one is read), all from one snapshot, in a read-only transaction. The connection
 * goes back to the pool when the rows have been read to the end; a cursor closed or
 * abandoned half-way ends its connection instead (its transaction is still open, and a
 * fresh connection costs little).
 */
export async function openCursor<T>(pool: pg.Pool, sql: { text: string; values: unknown[] }, batchSize = 2000): Promise<Cursor<T>> {
  const client = await connect(pool);
  // While a client is checked out, pg-pool does not listen for its errors; one emitted with
  // nobody listening would crash the process. The queries report them to the reader.
  client.on("error", ignore);
  let finished = false;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (finished) {
      client.off("error", ignore);
      client.release();
    } else {
      client.release(true);
    }
  };
  const fetch = () => {
    const batch = client.query(`FETCH ${batchSize} FROM cursor_rows`).then((result) => result.rows as T[]);
    // Left unread when the reader stops early, and then failed by the closed connection.
    batch.catch(ignore);
    return batch;
  };

  let first: T[];
  try {
    await client.query("BEGIN READ ONLY");
    await client.query(`DECLARE cursor_rows NO SCROLL CURSOR FOR ${sql.text}`, sql.values);
    first = await fetch();
  } catch (error) {
    release();
    throw error;
  }
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let rows = first; rows.length > 0; ) {
          const next = fetch();
          yield rows;
          rows = await next;
        }
        await client.query("COMMIT");
        finished = true;
      } finally {
        release();
      }
    },
    close: release,
  };
}
