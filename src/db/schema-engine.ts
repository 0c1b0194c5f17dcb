// Prisma's own schema engine, compiled to WebAssembly. The stock CLI downloads a native
// engine binary, which cannot be fetched everywhere (air-gapped hosts, locked-down CI);
// this one ships inside an npm package, so migrations work wherever `npm ci` does.
// The package's API is internal to Prisma: its version is pinned exactly in package.json.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";

export type { SchemaEngine };

const require = createRequire(import.meta.url);
let wasmReady: Promise<void> | undefined;

function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    // Instantiated by hand: Node 20 cannot import .wasm modules without an experimental flag.
    const pkgDir = path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg"));
    const bytes = await readFile(path.join(pkgDir, "schema_engine_bg.wasm"));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      "./schema_engine_bg.js": bg as unknown as WebAssembly.ModuleImports,
    });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  })();
  return wasmReady;
}

/**
 * Runs `work` with an engine connected to the database, then closes its connections, so
 * that a migrated database can be used as a template right away.
 */
export async function withSchemaEngine<T>(
  schemaText: string,
  connectionString: string,
  work: (engine: SchemaEngine) => Promise<T>,
  log: (message: string) => void = () => {},
): Promise<T> {
  await loadWasm();
  const pool = new pg.Pool({ connectionString, max: 2 });
  try {
    const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
    const engine = await bg.SchemaEngine.new({ datamodels: [["schema.prisma", schemaText]] }, log, adapter);
    try {
      return await work(engine);
    } finally {
      engine[Symbol.dispose]();
    }
  } finally {
    await pool.end();
  }
}
