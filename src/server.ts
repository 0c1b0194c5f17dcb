// Starts the app: configuration, database (embedded when DATABASE_URL is unset),
// migrations, HTTP and the background job worker.
//
// SIGTERM (or Ctrl-C, SIGINT) stops it gracefully, one log line per phase:
// 1. drain: the listener closes (new connections are refused; a request still arriving
//    on an open keep-alive connection gets 503), idle keep-alive connections close, the
//    requests in flight run on; the job worker stops claiming jobs and tells the running
//    ones to stop at their next safe point (each chunk of a job is one transaction);
// 2. at SHUTDOWN_TIMEOUT_SECONDS, if requests are still running: their connections are
//    cut (a download ends short; a write still in its transaction keeps its connection,
//    so closing the pool waits for it, and PostgreSQL rolls it back when the process
//    exits 5 s later at the latest) and jobs still running are left to their leases,
//    which another instance (or the next start) re-queues or fails;
// 3. the pool closes, then the embedded server if any;
// 4. exit 0 when everything ended within the deadline, 1 when something had to be cut,
//    so that a log reader or supervisor can tell a clean stop from a forced one.
// A second SIGTERM or SIGINT while stopping exits at once (code 1; an embedded PostgreSQL
// gets up to 3 s to stop first), as does anything that still hangs 5 s past the deadline.
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
    if (closing) {
      app.log.warn(`${signal} again while stopping: exiting now`);
      // An embedded PostgreSQL is a process of its own: asked to stop first, briefly, so
      // that a second Ctrl-C in development does not leave it running.
      setTimeout(() => process.exit(1), 3_000);
      void database.close().catch(() => {}).finally(() => process.exit(1));
      return;
    }
    closing = true;
    const deadlineMs = config.shutdownTimeoutSeconds * 1000;
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    let forced = false;
    // The last resort: whatever still hangs (a pool that will not close) does not keep the
    // process past the deadline by more than a few seconds.
    setTimeout(() => {
      app.log.error(`still stopping ${elapsed()} after ${signal}: exiting now`);
      process.exit(1);
    }, deadlineMs + 5_000).unref();
    app.log.info(`${signal}: stopping: not taking new connections, letting requests in flight and running jobs finish (at most ${config.shutdownTimeoutSeconds} s)`);
    try {
      // Closes the listener and idle connections, stops the job worker (app.ts), waits for
      // the requests in flight.
      const closed = app.close();
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)))]);
      clearTimeout(timer);
      if (!(await app.jobs.endedInTime())) {
        // The worker said which, and that their leases will bring them back.
        forced = true;
      }
      if (inTime) {
        app.log.info(`requests and jobs ${forced ? "stopped" : "finished"} after ${elapsed()}`);
      } else {
        forced = true;
        const open = await new Promise<number>((resolve) => app.server.getConnections((_error, count) => resolve(count ?? 0)));
        app.log.warn(`deadline of ${config.shutdownTimeoutSeconds} s reached: closing ${open} connection(s) still open`);
        app.server.closeAllConnections();
        await closed;
        app.log.info(`requests cut and jobs stopped after ${elapsed()}`);
      }
      await db.$disconnect();
      app.log.info("database pool closed");
    } catch (error) {
      forced = true;
      app.log.error({ err: error }, "error while stopping");
    } finally {
      await database.close().catch(() => {});
      app.log.info(`stopped after ${elapsed()}${forced ? " (forced)" : ""}`);
      process.exit(forced ? 1 : 0);
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
