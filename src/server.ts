// Starts the app: configuration, database (embedded when DATABASE_URL is unset),
// migrations, HTTP and the background job worker. Ctrl-C or SIGTERM closes HTTP, then
// stops the worker (waiting a few seconds for running jobs), then the pool, then the
// embedded server.
import { buildApp } from "./app.js";
import { loadConfig } from "./config.js";
import { openDatabase } from "./db/database.js";
import { createPrismaClient } from "./db/prisma.js";
import { ensureFirstAdmin } from "./modules/users/users.service.js";
import { describeError } from "./shared/describe-error.js";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config, (message) => console.log(message));
  const db = createPrismaClient(database.url);
  const firstAdmin = await ensureFirstAdmin(db);
  if (firstAdmin) {
    // Printed once, here only: it is not stored anywhere in clear.
    console.log(`\nFirst run: created the user "${firstAdmin.username}" with the password\n\n    ${firstAdmin.password}\n\nSign in and change it under your name (top right).\n`);
  }
  // The worker (jobs/) runs the hourly session purge, among others.
  const app = await buildApp(config, db, { runJobs: true });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: shutting down`);
    try {
      // Closing the app stops the job worker too, before the pool goes.
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
  console.error(`could not start: ${describeError(error)}`);
  process.exit(1);
});
