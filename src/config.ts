// The environment, read and checked once at start. Every setting has a safe default so
// that `npm start` works on a fresh machine; a bad value stops the start with a message.
import path from "node:path";
// Runtime use only (inside loadConfig), so the import cycle through this file is harmless.
import { normalizeNetwork } from "./modules/api-tokens/api-token-forms.js";

/** Body cap of every form but the create form: edits, deletes, names. */
export const smallFormBodyLimit = 64 * 1024;

/** The highest lookups-per-second limit a token (or API_RATE_LIMIT) may set. */
export const maxApiRateLimit = 1_000_000;

export interface AppConfig {
  port: number;
  host: string;
  /** Unset: the app starts an embedded PostgreSQL under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Most DIDs one create-form submission may create. */
  maxCreateDids: number;
  /** Cap on a urlencoded form body; big enough for a pasted list of maxCreateDids numbers. */
  formBodyLimitBytes: number;
  logLevel: string;
  /** A session ends after this long without a request. */
  sessionIdleMinutes: number;
  /** A session ends this long after sign-in, however busy. */
  sessionAbsoluteHours: number;
  /** Behind a reverse proxy: trust X-Forwarded-* (client IP, https) from these hops. */
  trustProxy: boolean | number | string;
  /**
   * Wrong passwords allowed in signInWindowMinutes: per (username, client IP), which also
   * caps a signed-in user's current-password checks; per client IP across usernames; and
   * per username across IPs (a looser ceiling, see modules/auth/sign-in-throttle.ts).
   */
  signInFailuresPerUsernameAndIp: number;
  signInFailuresPerIp: number;
  signInFailuresPerUsername: number;
  signInWindowMinutes: number;
  /** Templates are cached until restart; off while developing views. */
  cacheTemplates: boolean;
  /** How often the job worker looks for due jobs (this process wakes it at once for its own). */
  jobPollIntervalMs: number;
  /** Background jobs this process runs at once. */
  jobConcurrency: number;
  /** The largest import file accepted (413 above it). */
  importMaxBytes: number;
  /** Import files up to this size are checked and committed inside the request; larger ones by a background job. */
  importInlineMaxBytes: number;
  /** Most numbers one import may hold, ranges expanded. */
  importMaxNumbers: number;
  /** Routing API: lookups per second per token, for tokens that set no limit of their own. */
  apiRateLimit: number;
  /** /metrics answers a request that sends this as a bearer token (unset: no token opens it). */
  metricsToken: string | undefined;
  /** /metrics answers requests from these CIDR blocks, normalized (empty: no address opens it). */
  metricsAllow: string[];
  /** On SIGTERM: how long requests in flight and running jobs get to finish before they are cut. */
  shutdownTimeoutSeconds: number;
  /** The inventory counts a search exactly when the planner expects at most this many matches; above, "about N". */
  countExactUpTo: number;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * TRUST_PROXY: unset or "false" (default); the number of proxies in front (the client is
 * the address the outermost one saw); a list of proxy addresses/CIDRs; or "true", which
 * trusts every X-Forwarded-For entry, so a client can name its own address.
 */
function trustProxy(raw: string | undefined): boolean | number | string {
  if (!raw || raw === "false") return false;
  if (raw === "true") return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

/** The shortest METRICS_TOKEN accepted: a guessable one would open /metrics to anyone. */
export const metricsTokenMinLength = 32;

/** METRICS_TOKEN: printable ASCII without spaces (it travels in a header), long enough not to be guessed. */
function metricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!/^[\x21-\x7e]+$/.test(raw)) throw new Error("METRICS_TOKEN must be printable ASCII without spaces (it is sent in the Authorization header)");
  if (raw.length < metricsTokenMinLength) throw new Error(`METRICS_TOKEN must be at least ${metricsTokenMinLength} characters, got ${raw.length} (make one with: openssl rand -hex 32)`);
  return raw;
}

/** METRICS_ALLOW: addresses and CIDR blocks separated by commas, each checked as the API tokens' allowed addresses are. */
function metricsAllow(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === "") return [];
  const blocks = new Set<string>();
  for (const entry of raw.split(",").map((part) => part.trim())) {
    if (entry === "") throw new Error(`METRICS_ALLOW has an empty entry: give addresses or CIDR blocks separated by commas, got "${raw}"`);
    const network = normalizeNetwork(entry);
    if ("problem" in network) throw new Error(`METRICS_ALLOW: ${network.problem}`);
    blocks.add(network.cidr);
  }
  return [...blocks];
}

/** Settings that changed meaning: silently ignoring one could loosen a limit someone set. */
const replacedSettings: Record<string, string> = {
  SIGNIN_ATTEMPTS_PER_IP: "SIGNIN_FAILURES_PER_IP",
  SIGNIN_ATTEMPTS_PER_USERNAME: "SIGNIN_FAILURES_PER_USERNAME_AND_IP and SIGNIN_FAILURES_PER_USERNAME",
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  for (const [old, replacement] of Object.entries(replacedSettings)) {
    if (env[old] !== undefined && env[old] !== "") throw new Error(`${old} is no longer read (only failed sign-ins count now): set ${replacement} instead`);
  }
  const maxCreateDids = integer(env, "MAX_CREATE_DIDS", 100_000, 1, 1_000_000);
  // Twice the allowed count of 20-digit numbers (with separators and form encoding) must
  // still reach the validator and get a clear message at the field, not a bare 413.
  const derivedBodyLimit = Math.max(8 * 1024 * 1024, maxCreateDids * 2 * 24);
  const proxies = trustProxy(env.TRUST_PROXY);
  const allowed = metricsAllow(env.METRICS_ALLOW);
  if (proxies === true && allowed.length > 0) {
    // Every X-Forwarded-For entry would be trusted: any client could name an allowed address.
    throw new Error("METRICS_ALLOW cannot be used with TRUST_PROXY=true, which lets a client name its own address: set TRUST_PROXY to the number or addresses of your proxies, or use METRICS_TOKEN");
  }
  return {
    port: integer(env, "PORT", 3000, 0, 65535),
    host: env.HOST || "127.0.0.1",
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || "data"),
    maxCreateDids,
    formBodyLimitBytes: integer(env, "FORM_BODY_LIMIT_BYTES", derivedBodyLimit, 1024, 256 * 1024 * 1024),
    logLevel: env.LOG_LEVEL || "info",
    sessionIdleMinutes: integer(env, "SESSION_IDLE_MINUTES", 120, 1, 7 * 24 * 60),
    sessionAbsoluteHours: integer(env, "SESSION_ABSOLUTE_HOURS", 12, 1, 90 * 24),
    trustProxy: proxies,
    signInFailuresPerUsernameAndIp: integer(env, "SIGNIN_FAILURES_PER_USERNAME_AND_IP", 10, 1, 100_000),
    signInFailuresPerIp: integer(env, "SIGNIN_FAILURES_PER_IP", 60, 1, 100_000),
    signInFailuresPerUsername: integer(env, "SIGNIN_FAILURES_PER_USERNAME", 100, 1, 100_000),
    signInWindowMinutes: integer(env, "SIGNIN_WINDOW_MINUTES", 15, 1, 24 * 60),
    cacheTemplates: env.NODE_ENV !== "development",
    jobPollIntervalMs: integer(env, "JOB_POLL_INTERVAL_MS", 1000, 100, 60_000),
    jobConcurrency: integer(env, "JOB_CONCURRENCY", 2, 1, 32),
    importMaxBytes: integer(env, "IMPORT_MAX_BYTES", 50 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    importInlineMaxBytes: integer(env, "IMPORT_INLINE_MAX_BYTES", 1024 * 1024, 0, 2 * 1024 * 1024 * 1024),
    importMaxNumbers: integer(env, "IMPORT_MAX_NUMBERS", 2_000_000, 1, 20_000_000),
    apiRateLimit: integer(env, "API_RATE_LIMIT", 1000, 1, maxApiRateLimit),
    metricsToken: metricsToken(env.METRICS_TOKEN),
    metricsAllow: allowed,
    // Below the 30 s most orchestrators wait before SIGKILL (deploy/compose.yaml gives 40 s).
    shutdownTimeoutSeconds: integer(env, "SHUTDOWN_TIMEOUT_SECONDS", 25, 1, 3600),
    countExactUpTo: integer(env, "COUNT_EXACT_UP_TO", 100_000, 0, 1_000_000_000),
  };
}
