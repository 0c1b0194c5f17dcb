// Starts the app: configuration, database (embedded when DATABASE_URL is unset),
// migrations, HTTP. Ctrl-C or SIGTERM closes HTTP, then the pool, then the embedded server.
import { buildApp } from "./app.js";
import { loadConfig } from "./config.js";
import { openDatabase } from "./db/database.js";
import { createPrismaClient } from "./db/prisma.js";
import { purgeExpiredSessions } from "./modules/auth/auth.service.js";
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
  const app = await buildApp(config, db);
  const policy = { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours };
  // Expired sessions are refused when used; this only keeps the table small.
  const purge = setInterval(() => {
    purgeExpiredSessions(db, policy).catch((error: unknown) => app.log.warn({ err: error }, "session purge failed"));
  }, 3_600_000);
  purge.unref();
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
  console.error(`could not start: ${describeError(error)}`);
  process.exit(1);
});
