// Large results read a batch at a time through a server-side cursor (pg-query-stream), on
// a small pool of their own. Prisma's $queryRaw holds a whole result in memory, which a
// million-row export cannot afford; and a download holds its connection for as long as
// the client takes to read it, which must not starve the pool that serves the pages.
import pg from "pg";
import QueryStream from "pg-query-stream";

/** The rows of one query, fetched as they are read. */
export interface Cursor<T> extends AsyncIterable<T> {
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
}

export function createCursorPool(connectionString: string, options: CursorPoolOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: options.size, connectionTimeoutMillis: options.waitMs, idleTimeoutMillis: 30_000 });
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

/**
 * Runs `sql` and waits for its first batch of rows, so that a query that fails does so
 * here, before the caller has answered anything. The rows are then fetched `batchSize` at
 * a time, as they are read, from one snapshot. The connection goes back to the pool when
 * the rows have been read to the end; a cursor closed or abandoned half-way ends its
 * connection instead (its portal is still open, and a fresh connection costs little).
 */
export async function openCursor<T>(pool: pg.Pool, sql: { text: string; values: unknown[] }, batchSize = 1000): Promise<Cursor<T>> {
  const client = await connect(pool);
  const stream = client.query(new QueryStream(sql.text, sql.values, { batchSize }));
  // Rows are taken from the stream as they arrive; these events say when to look again.
  let ended = false;
  let failure: Error | undefined;
  let wake = () => {};
  const onReadable = () => wake();
  const onEnd = () => {
    ended = true;
    wake();
  };
  const onError = (error: Error) => {
    failure ??= error;
    wake();
  };
  stream.on("readable", onReadable);
  stream.on("end", onEnd);
  stream.on("error", onError);
  // The connection's own errors too: when it dies, pg-query-stream waits for ever for the
  // server to confirm the cursor's close, and never reports the error itself. (pg-pool
  // does not listen while a client is checked out either; an error with nobody listening
  // would crash the process.)
  client.on("error", onError);

  /** The next row, or undefined after the last. */
  const next = async (): Promise<T | undefined> => {
    for (;;) {
      if (failure) throw failure;
      const row = stream.read() as T | null;
      if (row !== null) return row;
      if (ended) return undefined;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };

  let finished = false;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (finished) {
      client.off("error", onError);
      client.release();
    } else {
      stream.destroy();
      client.release(true);
    }
  };

  let first: T | undefined;
  try {
    first = await next();
  } catch (error) {
    release();
    throw error;
  }
  finished = first === undefined;
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let row = first; row !== undefined; row = await next()) yield row;
        finished = true;
      } finally {
        release();
      }
    },
    close: release,
  };
}
