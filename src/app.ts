// Builds the Fastify instance: third-party plugins, then our cross-cutting plugins, then
// the routes of each domain. The database client is created by the caller (server, tests).
import { randomUUID } from "node:crypto";
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from "fastify";
import compress from "@fastify/compress";
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import pino from "pino";
import type { AppConfig } from "./config.js";
import type { Db } from "./db/prisma.js";
import { jobHandlers } from "./jobs/job-handlers.js";
import { enqueueJob, type NewJob } from "./jobs/job-queue.js";
import { startJobWorker, type JobWorker } from "./jobs/job-worker.js";
import auth from "./plugins/auth.js";
import errors, { ClientErrorPages } from "./plugins/errors.js";
import flash from "./plugins/flash.js";
import health from "./plugins/health.js";
import htmx from "./plugins/htmx.js";
import metrics, { metricsRoute } from "./plugins/metrics.js";
import requestLog from "./plugins/request-log.js";
import security from "./plugins/security.js";
import staticFiles from "./plugins/static-files.js";
import viewPlugin from "./plugins/view.js";
import auditRoutes from "./modules/audit/audit.routes.js";
import authRoutes from "./modules/auth/auth.routes.js";
import clientRoutes from "./modules/clients/clients.routes.js";
import didRoutes from "./modules/dids/dids.routes.js";
import exportRoutes from "./modules/exports/exports.routes.js";
import importRoutes from "./modules/imports/imports.routes.js";
import operatorRoutes from "./modules/operators/operators.routes.js";
import packageRoutes from "./modules/packages/packages.routes.js";
import resellerRoutes from "./modules/resellers/resellers.routes.js";
import subscriptionRoutes from "./modules/subscriptions/subscriptions.routes.js";
import assignmentRoutes from "./modules/assignments/assignments.routes.js";
import userRoutes from "./modules/users/users.routes.js";
import routingRoutes from "./modules/routing/routing.routes.js";
import apiTokenRoutes from "./modules/api-tokens/api-tokens.routes.js";
import type { Actor } from "./shared/actor.js";
import { systemClock, type Clock } from "./shared/clock.js";
import { parseFormEncoded } from "./shared/form-encoding.js";
import { sharedSecret } from "./modules/settings/secrets.repo.js";

declare module "fastify" {
  interface FastifyInstance {
    db: Db;
    config: AppConfig;
    jobs: AppJobs;
    /** The time the rules run on: the system clock, or a test's. */
    clock: Clock;
  }
}

/** The job queue as routes see it: they queue work, never hold the worker. */
export interface AppJobs {
  /** Queues a job (in a transaction of its own) and wakes this process's worker. */
  enqueue(job: NewJob): Promise<bigint>;
  /** After committing a transaction that queued jobs with enqueueJob(tx, ...): start them now. */
  wake(): void;
  /** After close(): whether every job this process was running ended by the stop's deadline. */
  endedInTime(): Promise<boolean>;
}

function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

export interface BuildOptions {
  logger?: FastifyServerOptions["logger"];
  /** Benchmark only: every request acts as this user, with no session lookup. */
  fixedActor?: Actor;
  /**
   * Runs the background job worker from ready to close (the server does). Without it,
   * queued jobs wait for a worker: tests start one themselves when they need it.
   */
  runJobs?: boolean;
  /** The time the rules run on (holds, subscription end days); tests pass a ManualClock. */
  clock?: Clock;
}

/** app.jobs, and with runJobs the worker: started when the app is ready, stopped on close. */
function jobsOf(app: FastifyInstance, config: AppConfig, db: Db, runJobs: boolean, clock: Clock): AppJobs {
  let worker: JobWorker | undefined;
  let stopping: Promise<boolean> | undefined;
  if (runJobs) {
    app.addHook("onReady", async () => {
      const options = { pollIntervalMs: config.jobPollIntervalMs, concurrency: config.jobConcurrency, log: app.log.child({ module: "jobs" }) };
      worker = startJobWorker(db, jobHandlers(config, clock, app.metrics), options);
    });
    // The stop begins with close(), beside the HTTP drain rather than after it, so that
    // running jobs get the whole shutdown deadline (less a margin for recording how they
    // ended) to reach a safe point. A job queued by a request still in flight stays queued
    // for another instance, or for the next start. onClose waits for the stop: the caller
    // closes the pool only after it.
    const stop = () => (stopping ??= worker?.stop(Math.max(1, config.shutdownTimeoutSeconds - 2) * 1000));
    app.addHook("preClose", async () => void stop());
    app.addHook("onClose", async () => {
      await stop();
    });
  }
  return {
    async enqueue(job) {
      const id = await enqueueJob(db, job);
      worker?.wake();
      return id;
    },
    wake: () => worker?.wake(),
    endedInTime: async () => (await stopping) ?? true,
  };
}

/**
 * While closing: a response ends its connection, and a keep-alive connection left idle by
 * a request that was in flight at close() is closed as soon as that request ends. Node
 * closes idle connections once, when the listener closes; one that becomes idle later
 * would otherwise stay open until the keep-alive timeout (72 s) and hold the stop.
 */
function drainKeepAlive(app: FastifyInstance) {
  let closing = false;
  app.addHook("preClose", async () => void (closing = true));
  // Callback hooks, not async ones: they run on every request, the routing API's too.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing && !reply.raw.headersSent) reply.header("connection", "close");
    done(null, payload);
  });
  app.addHook("onResponse", (_request, _reply, done) => {
    // A streamed response's headers went out before the close: its socket is idle once
    // Node has finished with the response, on the next turn.
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
}

export async function buildApp(config: AppConfig, db: Db, options: BuildOptions = {}) {
  const clientErrorPages = new ClientErrorPages();
  // Log lines go to stdout in batches of up to 4 KB, at least once a second, rather than
  // one write per line: a system call per request cost the routing API a tenth of its
  // throughput. If stdout stalls, lines past 16 MB are dropped rather than held in memory.
  const logStream = options.logger === undefined ? pino.destination({ dest: 1, sync: false, minLength: 4096, maxLength: 16 * 1024 * 1024, periodicFlush: 1000 }) : undefined;
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      // Belt and braces: nothing we log carries these, and nothing ever should.
      redact: ["req.headers.cookie", 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]', "password", "req.headers.authorization"],
      stream: logStream,
    },
    // One line per request, written by plugins/request-log.ts with the user in it.
    logController: new LogController({ disableRequestLogging: true }),
    // Hostile or accidental huge path parameters are refused before any handler runs.
    // Query strings are decoded strictly, like form bodies (see form-encoding.ts).
    routerOptions: { maxParamLength: 1000, querystringParser: parseFormEncoded },
    // What Node's HTTP parser refuses (a URL over the header limit) gets our HTML page.
    clientErrorHandler: clientErrorPages.handle,
    bodyLimit: 1024 * 1024,
    // Request ids are ours (shown on 5xx pages, found in the log); a client cannot pick them.
    requestIdHeader: false,
    // Unique across restarts and instances, so a 5xx page's id finds one log entry.
    genReqId: () => randomUUID(),
    // Behind a proxy (TRUST_PROXY), the client IP and https come from X-Forwarded-*.
    // A number is the count of proxies in front: trust that many hops from our side.
    trustProxy: typeof config.trustProxy === "number" ? trustHops(config.trustProxy) : config.trustProxy,
    // On close (SIGTERM, see server.ts): idle keep-alive connections are closed at once so
    // that they cannot hold the stop, requests in flight run on, and a request that still
    // arrives on an open connection is answered 503 with "Connection: close". (Fastify's
    // defaults, stated because the graceful stop relies on them.)
    forceCloseConnections: "idle",
    return503OnClosing: true,
  });
  drainKeepAlive(app);
  // After the job worker's last line (its onClose hook runs first).
  if (logStream) app.addHook("onClose", async () => logStream.flushSync());
  app.decorate("db", db);
  app.decorate("config", config);
  const clock = options.clock ?? systemClock;
  app.decorate("clock", clock);
  app.decorate("jobs", jobsOf(app, config, db, options.runJobs ?? false, clock));

  // Every request: one log line. Then two sibling scopes that share nothing else: the
  // JSON API, which a switch calls thousands of times a second and which needs none of the
  // pages' hooks (security headers for HTML, sessions, CSRF, flash, htmx), and the pages.
  await app.register(requestLog);
  await app.register(metrics);
  // /healthz and /readyz: outside both, so no session or page hook runs for a probe.
  await app.register(health, { db });
  await app.register(routingRoutes);
  await app.register(pages, { config, db, clientErrorPages, fixedActor: options.fixedActor });
  return app;
}

/** The web pages: their plugins (hooks included) apply to them only, not to the API. */
async function pages(app: FastifyInstance, { config, db, clientErrorPages, fixedActor }: { config: AppConfig; db: Db; clientErrorPages: ClientErrorPages; fixedActor?: Actor }) {
  // Pages are whole strings by the time they are sent: compressing one in a single call
  // (0.1-0.3 ms for the inventory's 12-30 KB) costs less than the plugin's stream path, which
  // it takes above 8 KB on two cores (a profile of 20 users on the inventory: a quarter of
  // the app's time in zlib streams).
  await app.register(compress, { global: true, threshold: 1024, syncThreshold: 1024 * 1024, encodings: ["gzip", "deflate"] });
  await app.register(formbody, { bodyLimit: config.formBodyLimitBytes, parser: parseFormEncoded });
  // No multipart parser here: a multipart body sent to a form route is answered 415, not
  // read as an empty form. The import routes register @fastify/multipart in their own
  // scope, with every limit set.
  await app.register(cookie);
  await app.register(htmx);
  await app.register(security, { csrfKey: await sharedSecret(db, "csrf-hmac-key") });
  await app.register(auth, { db, policy: { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours }, fixedActor });
  await app.register(flash);
  await app.register(staticFiles);
  await app.register(viewPlugin, { cacheTemplates: config.cacheTemplates });
  await app.register(errors, { clientErrorPages });

  app.get("/", (_request, reply) => reply.redirect("/dids", 302));
  // For Prometheus, with a token or from allowed addresses; for anyone else, not found.
  await app.register(metricsRoute, { config });
  // The htmx dialogs' close button: an empty fragment replaces the dialog.
  app.get("/dialog/close", (_request, reply) => reply.type("text/html; charset=utf-8").send(""));
  await app.register(authRoutes, { config, deviceKey: await sharedSecret(db, "known-device-key") });
  await app.register(didRoutes);
  await app.register(exportRoutes);
  await app.register(importRoutes);
  await app.register(clientRoutes);
  await app.register(operatorRoutes);
  await app.register(packageRoutes);
  await app.register(resellerRoutes);
  await app.register(subscriptionRoutes);
  await app.register(assignmentRoutes);
  await app.register(userRoutes);
  await app.register(apiTokenRoutes);
  await app.register(auditRoutes);
}
