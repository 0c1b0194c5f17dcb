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

/** Creates the database named in the URL when the server does not have it yet. */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!name) throw new Error("DATABASE_URL names no database");
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
