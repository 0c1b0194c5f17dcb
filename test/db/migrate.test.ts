// Our migration runner writes Prisma's own bookkeeping, so the stock `prisma migrate
// deploy` sees a database migrated here as up to date (same names, same checksums).
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import t from "tap";
import pg from "pg";
import { applyMigrations, appliedMigrationsSql, listMigrationNames, pendingMigrations } from "../../src/db/migrate.js";
import { prismaDir } from "../../src/paths.js";
import { createEmptyDatabase } from "../helpers/app.js";

t.test("migrations are recorded as prisma migrate deploy records them", async (t) => {
  const url = await createEmptyDatabase(t);

  const migrationsDir = path.join(prismaDir, "migrations");
  const names = (await readdir(migrationsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  t.same(await applyMigrations(url), names, "a new database gets every migration");
  t.same(await applyMigrations(url), [], "a second run applies nothing");

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  const rows = (await client.query("SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name")).rows;
  t.equal(rows.length, names.length);
  for (const [i, row] of rows.entries()) {
    const sql = await readFile(path.join(migrationsDir, names[i]!, "migration.sql"));
    t.equal(row.migration_name, names[i]);
    t.equal(row.checksum, createHash("sha256").update(sql).digest("hex"), "the checksum prisma compares");
    t.ok(row.finished_at, "finished");
    t.equal(row.rolled_back_at, null);
  }
  const collation = await client.query("SELECT collation_name FROM information_schema.columns WHERE table_name = 'did' AND column_name = 'number'");
  t.equal(collation.rows[0].collation_name, "C", "numbers use the C collation the indexes rely on");
});

t.test("two instances starting together on a new database: one migrates, the other waits and applies nothing", async (t) => {
  const url = await createEmptyDatabase(t);
  const names = await listMigrationNames();
  const waits: string[] = [];
  const results = await Promise.all([applyMigrations(url, (m) => waits.push(m)), applyMigrations(url, (m) => waits.push(m))]);
  t.same(results.map((r) => r.length).sort((a, b) => a - b), [0, names.length], "every migration applied once, by one of them");
  t.match(waits, [/another instance is migrating this database: waiting for it/], "the one that waited said so");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  const applied = (await client.query<{ migration_name: string }>(appliedMigrationsSql)).rows.map((r) => r.migration_name);
  t.same(applied.sort(), names, "one row per migration, none twice");
  t.same(await pendingMigrations(applied), [], "nothing pending");
  t.same(await pendingMigrations(applied.slice(0, -1)), names.slice(-1), "a missing row is pending");
  const locks = await client.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
  t.equal(locks.rows[0].n, 0, "the lock went with its connection");
});
