// /metrics in the Prometheus text format, for operators: request durations by route, the
// database pool, imports, the hold scheduler, sign-in failures and the routing API's
// answers, plus the process's own figures (prom-client's default metrics).
//
// Each app has a registry of its own (tests build many apps in one process, and the names
// would collide in prom-client's global one). The process's figures are one set per
// process, collected once into a registry of their own and printed before the app's:
// collecting them per app would start a GC observer and an event-loop monitor per app,
// none of which can be stopped.
//
// The registry is app.metrics. Routes count what they answer; services and jobs count
// through the small interfaces of shared/metrics.ts, which AppMetrics implements.
import { createHash, timingSafeEqual } from "node:crypto";
import fp from "fastify-plugin";
import type { FastifyInstance, FastifyRequest } from "fastify";
import ipaddr from "ipaddr.js";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AppConfig } from "../config.js";
import { poolStatsOf, type Db } from "../db/prisma.js";
import type { HoldSchedulerMetrics, HoldSchedulerRun, ImportMetrics, ImportStep } from "../shared/metrics.js";

declare module "fastify" {
  interface FastifyInstance {
    metrics: AppMetrics;
  }
}

/** How a routing API lookup was answered: per number for answers, per request for refusals. */
export type LookupAnswer = "found" | "not-found" | "unauthorized" | "forbidden" | "rate-limited" | "bad-request";
const lookupAnswers: readonly LookupAnswer[] = ["found", "not-found", "unauthorized", "forbidden", "rate-limited", "bad-request"];

/** Why a sign-in was refused ("wrong-password" includes an unknown username: the page says the same). */
export type SignInFailure = "wrong-password" | "disabled" | "throttled";
const signInFailures: readonly SignInFailure[] = ["wrong-password", "disabled", "throttled"];

/** The route label of a request no route matched: the raw URL would let anyone add series. */
export const unmatchedRoute = "(unmatched)";

/** From a routing API lookup (about 1 ms) to a large export's first page (seconds). */
const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;

/** prom-client's default metrics (process_*, nodejs_*), collected once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

type Inc = { inc(value?: number): void };

/** Children bound to each value up front: the series exist (at 0) from the start, and counting costs no label object. */
function bound<L extends string>(counter: Counter<string>, label: string, values: readonly L[]): Record<L, Inc> {
  for (const value of values) counter.inc({ [label]: value }, 0);
  return Object.fromEntries(values.map((value) => [value, counter.labels(value)])) as Record<L, Inc>;
}

export class AppMetrics implements ImportMetrics, HoldSchedulerMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<"method" | "route" | "status_code">;
  /** Routing API answers, by kind; increment with `lookups[answer].inc(n)`. */
  readonly lookups: Record<LookupAnswer, Inc>;
  readonly signInFailures: Record<SignInFailure, Inc>;
  private readonly importStepsRunning: Gauge<"step">;
  private readonly importRows: Counter;
  private readonly importDids: Counter;
  private readonly holdRuns: Record<"ok" | "failed", Inc>;
  private readonly holdHeld: Counter;
  private readonly holdReleased: Counter;

  constructor(db: Db) {
    const registers = [this.registry];
    this.requestDuration = new Histogram({
      name: "http_request_duration_seconds",
      help: `Time from a request's arrival to the end of its response, by method, route pattern (${unmatchedRoute} when none matched) and status code.`,
      labelNames: ["method", "route", "status_code"],
      buckets: durationBuckets,
      registers,
    });
    // The pool's counters are read when scraped: nothing to do per query.
    const pool = (name: string, help: string, read: (stats: ReturnType<typeof poolStatsOf>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(poolStatsOf(db)));
        },
      });
    pool("did_db_pool_connections_in_use", "Connections of the database pool running a query or held by a transaction.", (s) => s.inUse);
    pool("did_db_pool_connections_idle", "Connections of the database pool open and free.", (s) => s.idle);
    pool("did_db_pool_clients_waiting", "Queries and transactions waiting for a connection of the database pool.", (s) => s.waiting);
    pool("did_db_pool_connections_max", "The most connections the database pool opens.", (s) => s.max);
    this.lookups = bound(
      new Counter({ name: "did_routing_lookups_total", help: "Routing API: numbers answered (found, not-found) and requests refused (the other answers).", labelNames: ["answer"], registers }),
      "answer",
      lookupAnswers,
    );
    this.signInFailures = bound(new Counter({ name: "did_signin_failures_total", help: "Sign-ins refused, by reason.", labelNames: ["reason"], registers }), "reason", signInFailures);
    this.importStepsRunning = new Gauge({ name: "did_import_steps_running", help: "Import checks and commits running in this process now.", labelNames: ["step"], registers });
    for (const step of ["check", "commit"]) this.importStepsRunning.set({ step }, 0);
    this.importRows = new Counter({ name: "did_import_rows_checked_total", help: "Rows of import files read by checks.", registers });
    this.importDids = new Counter({ name: "did_import_dids_created_total", help: "DIDs created by import commits.", registers });
    this.holdRuns = bound(new Counter({ name: "did_hold_scheduler_runs_total", help: "Runs of the hold scheduler in this process, by result.", labelNames: ["result"], registers }), "result", ["ok", "failed"]);
    this.holdHeld = new Counter({ name: "did_hold_scheduler_dids_held_total", help: "DIDs put on hold because their subscription ended.", registers });
    this.holdReleased = new Counter({ name: "did_hold_scheduler_dids_released_total", help: "DIDs whose hold ended and that took their after-hold status.", registers });
  }

  requestEnded(method: string, route: string, statusCode: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status_code: statusCode }, seconds);
  }

  stepStarted(step: ImportStep): () => void {
    this.importStepsRunning.inc({ step });
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.importStepsRunning.dec({ step });
    };
  }

  rowsChecked(rows: number): void {
    if (rows > 0) this.importRows.inc(rows);
  }

  didsImported(dids: number): void {
    if (dids > 0) this.importDids.inc(dids);
  }

  holdSchedulerRan(run: HoldSchedulerRun): void {
    this.holdRuns.ok.inc();
    if (run.didsHeld > 0) this.holdHeld.inc(run.didsHeld);
    if (run.didsReleased > 0) this.holdReleased.inc(run.didsReleased);
  }

  holdSchedulerFailed(): void {
    this.holdRuns.failed.inc();
  }

  /** The text a scrape gets: the process's metrics, then the app's. */
  async text(): Promise<string> {
    return `${await processMetrics().metrics()}\n${await this.registry.metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();
const bearer = /^Bearer +(\S+) *$/i;

/**
 * Who may read /metrics: a request with METRICS_TOKEN as its bearer token, or one from
 * METRICS_ALLOW (request.ip, which TRUST_PROXY decides). Undefined when neither is set.
 */
export function metricsAccess(config: Pick<AppConfig, "metricsToken" | "metricsAllow">): ((request: FastifyRequest) => boolean) | undefined {
  const blocks = config.metricsAllow.map((cidr) => ipaddr.parseCIDR(cidr));
  // Digests of equal length, compared in constant time: neither the token nor its length leaks through timing.
  const tokenDigest = config.metricsToken === undefined ? undefined : sha256(config.metricsToken);
  if (blocks.length === 0 && tokenDigest === undefined) return undefined;
  const fromAllowedAddress = (address: string) => {
    let client: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      // An IPv4 client seen on an IPv6 socket (::ffff:10.0.0.1) is compared as IPv4.
      client = ipaddr.process(address);
    } catch {
      return false;
    }
    return blocks.some(([network, prefix]) => network.kind() === client.kind() && client.match(network, prefix));
  };
  const withToken = (header: string | undefined) => {
    const token = header === undefined || tokenDigest === undefined ? undefined : bearer.exec(header)?.[1];
    return token !== undefined && timingSafeEqual(sha256(token), tokenDigest!);
  };
  return (request) => (blocks.length > 0 && fromAllowedAddress(request.ip)) || withToken(request.headers.authorization);
}

/** app.metrics, and every request's duration: at the root, so the API's requests count too. */
export default fp(
  async (app) => {
    const metrics = new AppMetrics(app.db);
    app.decorate("metrics", metrics);
    // A callback hook, not an async one: the routing API answers thousands of lookups a second.
    app.addHook("onResponse", (request, reply, done) => {
      metrics.requestEnded(request.method, request.routeOptions.url ?? unmatchedRoute, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: "metrics" },
);

/**
 * GET /metrics. Registered among the pages, as a public route beside /healthz (it needs no
 * session or CSRF token), so that a refused request gets the very 404 page an unknown
 * address gets: nothing tells a prober that /metrics exists, or whether a token was close.
 * Unconfigured (no METRICS_TOKEN, no METRICS_ALLOW), it refuses everyone.
 */
export async function metricsRoute(app: FastifyInstance, { config }: { config: AppConfig }) {
  const allowed = metricsAccess(config);
  app.get("/metrics", { config: { access: "public" } }, async (request, reply) => {
    if (!allowed?.(request)) return reply.callNotFound();
    const text = await app.metrics.text();
    return reply.type(app.metrics.contentType).header("cache-control", "no-store").header("x-content-type-options", "nosniff").send(text);
  });
}
