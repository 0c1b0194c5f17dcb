// Applies prisma/migrations/* with Prisma's schema engine, writing Prisma's own
// _prisma_migrations table: a database migrated here looks migrated to the stock
// `prisma migrate deploy` as well, and the other way round.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { prismaDir } from "../paths.js";
import { withSchemaEngine } from "./schema-engine.js";

const migrationsDir = path.join(prismaDir, "migrations");

export async function readSchema(): Promise<string> {
  return readFile(path.join(prismaDir, "schema.prisma"), "utf8");
}

/** The migrations of this build, oldest first: the folder names under prisma/migrations. */
export async function listMigrationNames(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** Prisma's record of the migrations a database has applied (finished, not rolled back). */
export const appliedMigrationsSql = "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL";

/** The migrations of this build that are not among `applied` (names read with appliedMigrationsSql). */
export async function pendingMigrations(applied: Iterable<string>): Promise<string[]> {
  const done = new Set(applied);
  return (await listMigrationNames()).filter((name) => !done.has(name));
}

async function listMigrations() {
  const names = await listMigrationNames();
  return Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok" as const, value: await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8") },
      },
    })),
  );
}

/**
 * Our own key for pg_advisory_lock around applying migrations (any bigint unlikely to be
 * someone else's; not Prisma's 72707369, which its engine takes itself).
 */
const migrationLockKey = 4_410_201_761_003n;

/**
 * Applies pending migrations; returns the names of those applied now. `log` hears when
 * this waits for another instance's migration.
 */
export async function applyMigrations(databaseUrl: string, log: (m: string) => void = () => {}): Promise<string[]> {
  return withMigrationLock(databaseUrl, log, () => applyUnlocked(databaseUrl));
}

/**
 * Runs `work` holding a session advisory lock on the database, so that instances starting
 * together migrate one after the other: the second finds everything applied. Prisma's
 * engine takes a lock of its own, but gives up after 10 s, which a long migration (an
 * index on millions of rows) outlasts: a second instance would then fail to start. This
 * one waits as long as it takes. The lock goes with its connection, so a crash frees it.
 */
async function withMigrationLock<T>(databaseUrl: string, log: (m: string) => void, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "did-inventory migrate" });
  // Idle while the migrations run: if the server drops it, an unhandled 'error' event
  // would crash the process. The lock is gone with it; the migrations' own lock remains.
  client.on("error", (error) => log(`the migration lock's connection failed: ${error.message}`));
  await client.connect();
  try {
    const key = migrationLockKey.toString();
    // Asked again every half second rather than waited for in pg_advisory_lock: a
    // statement waiting there holds a snapshot, and CREATE INDEX CONCURRENTLY in the
    // other instance's migration waits for every snapshot older than its own: both would
    // wait forever.
    for (let waiting = false; ; waiting = true) {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [key]);
      if (rows[0]!.locked) break;
      if (!waiting) log("another instance is migrating this database: waiting for it");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Unlocked by closing the connection, whatever `work` did.
    return await work();
  } finally {
    await client.end().catch(() => {});
  }
}

async function applyUnlocked(databaseUrl: string): Promise<string[]> {
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  const migrationsList = {
    baseDir: migrationsDir,
    lockfile: { path: "migration_lock.toml", content: await readFile(lockPath, "utf8") },
    migrationDirectories: await listMigrations(),
    shadowDbInitScript: "",
  };
  const result = await withSchemaEngine(
    await readSchema(),
    databaseUrl,
    (engine) => engine.applyMigrations({ migrationsList, filters: { externalTables: [], externalEnums: [] } }),
  );
  return result.appliedMigrationNames;
}

/** The same server URL, naming another database. */
export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

/**
 * Creates the database named in the URL when the server does not have it yet. A database
 * that exists is only connected to: hosted servers often deny access to "postgres".
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ""));
  if (!name) throw new Error("DATABASE_URL names no database");
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (error) {
    // 3D000: the database does not exist. Anything else (auth, network) is the caller's to see.
    if ((error as { code?: string }).code !== "3D000") throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const admin = new pg.Client({ connectionString: withDatabaseName(databaseUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } catch (error) {
    // 42P04: another instance created it a moment ago, which is just as good.
    if ((error as { code?: string }).code !== "42P04") throw error;
  } finally {
    await admin.end();
  }
}
