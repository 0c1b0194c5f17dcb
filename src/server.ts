// Starts the app: configuration, database (embedded when DATABASE_URL is unset),
// migrations, HTTP. Ctrl-C or SIGTERM closes HTTP, then the pool, then the embedded server.
import { buildApp } from "./app.js";
import { loadConfig } from "./config.js";
import { openDatabase } from "./db/database.js";
import { createPrismaClient } from "./db/prisma.js";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config, (message) => console.log(message));
  const db = createPrismaClient(database.url);
  const app = await buildApp(config, db);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: shutting down`);
    try {
      await app.close();
      await db.$disconnect();
    } finally {
      await database.close();
      process.exit(0);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await app.listen({ port: config.port, host: config.host });
  console.log(`DID inventory on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${(app.server.address() as { port: number }).port}/`);
}

main().catch((error: unknown) => {
  console.error(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
