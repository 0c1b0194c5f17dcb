// Finds the database the app should use: DATABASE_URL when set, otherwise an embedded
// PostgreSQL under DATA_DIR. Either way the database exists and is migrated on return.
import type { AppConfig } from "../config.js";
import { startEmbeddedPostgres, type EmbeddedOptions } from "./embedded-postgres.js";
import { applyMigrations, ensureDatabaseExists } from "./migrate.js";

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  /** Stops the embedded server, if we started one. */
  close(): Promise<void>;
}

const embeddedDatabaseName = "did_inventory";

export async function openDatabase(
  config: Pick<AppConfig, "databaseUrl" | "dataDir">,
  log: (message: string) => void,
  options: { migrate?: boolean } & EmbeddedOptions = {},
): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (config.databaseUrl) {
    handle = { url: config.databaseUrl, embedded: false, close: async () => {} };
  } else {
    const server = await startEmbeddedPostgres(config.dataDir, log, options);
    handle = { url: `${server.serverUrl}/${embeddedDatabaseName}`, embedded: true, close: () => server.stop() };
    log(`embedded PostgreSQL listening on ${new URL(server.serverUrl).port}, data in ${config.dataDir}`);
  }
  try {
    await ensureDatabaseExists(handle.url);
    if (options.migrate !== false) {
      const applied = await applyMigrations(handle.url, log);
      if (applied.length > 0) log(`applied migrations: ${applied.join(", ")}`);
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}
