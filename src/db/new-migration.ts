// `npm run db:new-migration -- <name> [--from <git-ref>]`: writes
// prisma/migrations/<timestamp>_<name>/migration.sql with the SQL between the schema at
// <git-ref> (default HEAD; nothing if the schema is new) and prisma/schema.prisma now.
// Uses DATABASE_URL, or the embedded server, only to connect: nothing is written. Review the SQL: things Prisma cannot express (collations, trigram
// and expression indexes) are added to the file by hand. Keep semicolons out of SQL
// comments: the engine splits the script on them.
import { execFileSync } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { prismaDir, projectRoot } from "../paths.js";
import { loadConfig } from "../config.js";
import { openDatabase } from "./database.js";
import { readSchema } from "./migrate.js";
import { withSchemaEngine } from "./schema-engine.js";

function schemaAt(ref: string): string | undefined {
  try {
    return execFileSync("git", ["show", `${ref}:prisma/schema.prisma`], { cwd: projectRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
}

async function main() {
  const args = process.argv.slice(2);
  const name = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--from");
  const fromIndex = args.indexOf("--from");
  const ref = fromIndex >= 0 ? args[fromIndex + 1] ?? "HEAD" : "HEAD";
  if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error("usage: npm run db:new-migration -- <snake_case_name> [--from <git-ref>]");
  const migrationsDir = path.join(prismaDir, "migrations");
  const existing = (await readdir(migrationsDir)).filter((n) => /^\d/.test(n));
  const previous = existing.length > 0 ? schemaAt(ref) : undefined;
  const current = await readSchema();
  const database = await openDatabase(loadConfig(), () => {}, { migrate: false });
  const files = (text: string) => ({ files: [{ path: "schema.prisma", content: text }] });
  const result = await withSchemaEngine(current, database.url, (engine) =>
    engine.diff({
      from: previous === undefined ? { tag: "empty" } : { tag: "schemaDatamodel", ...files(previous) },
      to: { tag: "schemaDatamodel", ...files(current) },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    }),
  );
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), result.stdout ?? "");
  await database.close();
  console.log(`wrote ${path.relative(projectRoot, dir)}/migration.sql`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
