// The PostgreSQL server that `npm test` (test/run-tests.mjs) and the Docker runtime-stage
// check (test/docker/runtime-stage-check.mjs) work on, found the same way for both:
// TEST_DATABASE_URL, else DATABASE_URL (any database on that server: callers create and
// drop their own), else an embedded PostgreSQL in a temporary directory, started from the
// development install. Needs the build (dist/).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../dist/src/db/embedded-postgres.js";
import { withDatabaseName } from "../../dist/src/db/migrate.js";

/** @returns {Promise<{ serverUrl: string, stop: () => Promise<void> }>} serverUrl names the database "postgres" or the one given */
export async function findTestServer(log) {
  const configured = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (configured) {
    log(`using the PostgreSQL server of ${process.env.TEST_DATABASE_URL ? "TEST_DATABASE_URL" : "DATABASE_URL"}`);
    return { serverUrl: configured, stop: async () => {} };
  }
  const tempDir = await mkdtemp(path.join(os.tmpdir(), "did-test-pg-"));
  try {
    const embedded = await startEmbeddedPostgres(tempDir, log);
    log("started an embedded PostgreSQL");
    return {
      serverUrl: `${embedded.serverUrl}/postgres`,
      stop: async () => {
        try {
          await embedded.stop();
        } finally {
          await rm(tempDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs one statement on the server's "postgres" database (CREATE / DROP DATABASE, lookups). */
export async function adminQuery(serverUrl, sql) {
  const client = new pg.Client({ connectionString: withDatabaseName(serverUrl, "postgres") });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
