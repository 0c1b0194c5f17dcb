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

async function listMigrations() {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
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

/** Applies pending migrations; returns the names of those applied now. */
export async function applyMigrations(databaseUrl: string, log: (m: string) => void = () => {}): Promise<string[]> {
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
    log,
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
