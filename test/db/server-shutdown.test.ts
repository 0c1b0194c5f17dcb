// The graceful stop of the real server (dist/src/server.js, on a test database through
// DATABASE_URL): on SIGTERM a download in flight ends whole while new connections are
// refused, a running background job stops at a safe point with nothing half-written,
// and a request that never ends does not keep the process past SHUTDOWN_TIMEOUT_SECONDS.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import t, { type Test } from "tap";
import { freePort } from "../../src/db/embedded-postgres.js";
import { createPrismaClient, type Db } from "../../src/db/prisma.js";
import { interruptedMessage } from "../../src/jobs/job-worker.js";
import { hashPassword } from "../../src/modules/auth/passwords.js";
import { projectRoot } from "../../src/paths.js";
import { createTestDatabase, testPassword } from "../helpers/app.js";
import { makeOperator } from "../helpers/factories.js";
import { waitFor } from "../helpers/jobs.js";
import { browserClient } from "../helpers/browser-client.js";
import { multipart } from "../helpers/multipart.js";

const serverJs = path.join(projectRoot, "dist/src/server.js");
const skip = !existsSync(serverJs) && "run `npm run build` first";

interface Server {
  child: ChildProcess;
  base: string;
  output(): string;
  /** The exit code and the milliseconds since `since` (set when the signal is sent). */
  exited: Promise<{ code: number | null; ms: number }>;
  signal(name: NodeJS.Signals): void;
}

async function startServer(t: Test, databaseUrl: string, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [serverJs], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  let since = Date.now();
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => child.once("exit", (code) => resolve({ code, ms: Date.now() - since })));
  t.teardown(() => {
    child.kill("SIGKILL");
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the server exited before it was ready:\n${output}`);
    return fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
  }, "the server to be ready", 60_000);
  return {
    child,
    base,
    output: () => output,
    exited,
    signal(name) {
      since = Date.now();
      child.kill(name);
    },
  };
}

/** The database with a signed-in-able admin and `dids` DIDs of one operator. */
async function prepare(t: Test, dids: number): Promise<{ url: string; db: Db; operatorId: number }> {
  const url = await createTestDatabase(t);
  const db = createPrismaClient(url, 2);
  t.teardown(() => db.$disconnect());
  await db.user.create({ data: { username: "admin", passwordHash: await hashPassword(testPassword), role: "admin" } });
  const operator = await makeOperator(db, { name: "Slow Reads" });
  if (dids > 0) await db.$executeRaw`INSERT INTO did (number, operator_id) SELECT (380500000000 + g)::text, ${operator.id} FROM generate_series(1, ${dids}) g`;
  return { url, db, operatorId: operator.id };
}

/** Signs in through the form; answers the cookie header and a CSRF token for later posts. */
async function signIn(base: string): Promise<{ cookie: string; csrf: string }> {
  const client = browserClient();
  const res = await client.signIn(base, "admin", testPassword);
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  // The page sets the CSRF cookie its token goes with: the cookies are read after it.
  const csrf = await client.csrf(base, "/account/password");
  return { cookie: client.cookie(), csrf };
}

/** Whether a new connection to the server is refused, or answered 503. */
async function refusedOr503(base: string): Promise<string | false> {
  try {
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) });
    return res.status === 503 ? "503" : false;
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return code === "ECONNREFUSED" || code === "ECONNRESET" ? code : false;
  }
}

t.test("SIGTERM: a download in flight ends whole, new connections are refused, exit 0", { skip }, async (t) => {
  const rows = 150_000;
  const { url } = await prepare(t, rows);
  const server = await startServer(t, url, { SHUTDOWN_TIMEOUT_SECONDS: "20" });
  const { cookie } = await signIn(server.base);
  t.equal((await fetch(`${server.base}/healthz`)).status, 200);

  const download = await new Promise<{ res: http.IncomingMessage; chunks: Buffer[] }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    // On a keep-alive connection, as a proxy keeps them: left open after the download, it
    // would hold the stop until the keep-alive timeout.
    http.get(`${server.base}/dids/export`, { headers: { cookie }, agent: new http.Agent({ keepAlive: true }) }, (res) => {
      res.once("data", (chunk: Buffer) => {
        chunks.push(chunk);
        res.pause();
        resolve({ res, chunks });
      });
    }).on("error", reject);
  });
  t.equal(download.res.statusCode, 200, "the export has begun");
  // Left unread for a moment: the server's writes back up, the export is in flight.
  await new Promise((resolve) => setTimeout(resolve, 300));

  server.signal("SIGTERM");
  const refusal = await waitFor(() => refusedOr503(server.base), "new connections to be refused");
  t.ok(refusal, `a new request after SIGTERM: ${refusal}`);

  const body = await new Promise<{ text: string; complete: boolean }>((resolve) => {
    download.res.on("data", (chunk: Buffer) => download.chunks.push(chunk));
    download.res.on("end", () => resolve({ text: Buffer.concat(download.chunks).toString("utf8"), complete: download.res.complete }));
    download.res.on("error", () => resolve({ text: Buffer.concat(download.chunks).toString("utf8"), complete: false }));
    download.res.resume();
  });
  const downloaded = Date.now();
  t.ok(body.complete, "the download was not cut short");
  const lines = body.text.split("\r\n");
  t.equal(lines.at(-1), "", "it ends with a whole line");
  t.equal(lines.length - 2, rows, "every row, after the header");
  t.match(lines.at(-2), /,380500150000,/, "the last one last");

  const { code, ms } = await server.exited;
  t.equal(code, 0, "a clean stop exits 0");
  t.ok(ms < 20_000, `within the deadline (${ms} ms)`);
  t.ok(Date.now() - downloaded < 3_000, "soon after the download ended: its keep-alive connection did not hold the stop");
  const said = server.output();
  t.match(said, /SIGTERM: stopping: not taking new connections/);
  t.match(said, /requests and jobs finished after/);
  t.match(said, /database pool closed/);
  t.match(said, /stopped after [\d.]+ s"/);
  t.notMatch(said, /forced/);
});

t.test("SIGTERM during a background import: it stops with nothing half-written, and runs again after a start", { skip }, async (t) => {
  const { url, db, operatorId } = await prepare(t, 0);
  // Every import goes to a job here.
  const env = { IMPORT_INLINE_MAX_BYTES: "0", SHUTDOWN_TIMEOUT_SECONDS: "20" };
  const server = await startServer(t, url, env);
  const rows = 400_000;
  const content = "DID\n" + Array.from({ length: rows }, (_, i) => `3806${String(i).padStart(8, "0")}`).join("\n") + "\n";

  const startCheck = async (base: string) => {
    const { cookie, csrf } = await signIn(base);
    const body = multipart({ _csrf: csrf, header: "1", operator: String(operatorId), status: "in_stock", after_hold: "in_stock" }, { name: "large.csv", content });
    const uploaded = await fetch(`${base}/imports`, { method: "POST", redirect: "manual", headers: { cookie, "x-csrf-token": csrf, ...body.headers }, body: new Uint8Array(body.payload) });
    t.equal(uploaded.status, 303, "uploaded");
    const id = Number(/\d+$/.exec(uploaded.headers.get("location")!)![0]);
    const mapping = new URLSearchParams({ col_0: "did", header: "1", delimiter: "comma", action: "check", _csrf: csrf });
    t.equal((await fetch(`${base}/imports/${id}/mapping`, { method: "POST", redirect: "manual", headers: { cookie }, body: mapping })).status, 303, "check started");
    return { id, cookie, csrf };
  };
  const { id } = await startCheck(server.base);
  const job = await waitFor(() => db.job.findFirst({ where: { kind: "import-check", state: "running", progressDone: { gte: 5000 } } }), "the check to be under way", 30_000);
  t.ok(Number(job.progressDone) < rows, "mid-run");

  server.signal("SIGTERM");
  const { code, ms } = await server.exited;
  t.equal(code, 0, "the job stopped in time: a clean stop");
  t.ok(ms < 20_000, `within the deadline (${ms} ms)`);

  const ended = await db.job.findUniqueOrThrow({ where: { id: job.id } });
  t.equal(ended.state, "failed", "an import step is not re-run on its own: failed at once, not left to its lease");
  t.equal(ended.error, interruptedMessage);
  const run = await db.importRun.findUniqueOrThrow({ where: { id } });
  t.equal(run.state, "failed");
  t.match(run.error, /app stopped while this step ran, so nothing was written/);
  t.equal(await db.importRow.count({ where: { importId: id } }), 0, "no staging rows: the check's transaction rolled back");
  t.equal(await db.did.count(), 0, "nothing in the inventory");

  // The next start: the person starts the step again from the stored file, and it ends.
  const again = await startServer(t, url, env);
  const { cookie, csrf } = await signIn(again.base);
  const restart = await fetch(`${again.base}/imports/${id}/restart`, { method: "POST", redirect: "manual", headers: { cookie }, body: new URLSearchParams({ _csrf: csrf }) });
  t.equal(restart.status, 303);
  const mapping = new URLSearchParams({ col_0: "did", header: "1", delimiter: "comma", action: "check", _csrf: csrf });
  t.equal((await fetch(`${again.base}/imports/${id}/mapping`, { method: "POST", redirect: "manual", headers: { cookie }, body: mapping })).status, 303);
  await waitFor(async () => (await db.importRun.findUniqueOrThrow({ where: { id } })).state === "checked", "the check to end", 120_000);
  t.equal(await db.importRow.count({ where: { importId: id } }), rows, "checked whole this time");
  again.signal("SIGTERM");
  t.equal((await again.exited).code, 0);
});

t.test("a request that never ends does not hold the stop past SHUTDOWN_TIMEOUT_SECONDS; a second signal exits at once", { skip }, async (t) => {
  const { url } = await prepare(t, 150_000);

  const stuckDownload = async (server: Server) => {
    const { cookie } = await signIn(server.base);
    return new Promise<{ cut: () => Promise<boolean> }>((resolve, reject) => {
      http.get(`${server.base}/dids/export`, { headers: { cookie } }, (res) => {
        res.once("data", () => {
          res.pause();
          // Not read again while the server runs: the export cannot finish. Afterwards the
          // rest of what arrived is read, to see the end of the response.
          resolve({
            cut: () =>
              new Promise((ended) => {
                res.once("close", () => ended(!res.complete));
                res.resume();
              }),
          });
        });
        res.on("error", () => {});
      }).on("error", reject);
    });
  };

  const server = await startServer(t, url, { SHUTDOWN_TIMEOUT_SECONDS: "2" });
  const stuck = await stuckDownload(server);
  server.signal("SIGTERM");
  const { code, ms } = await server.exited;
  t.equal(code, 1, "a forced stop exits 1");
  t.ok(ms >= 1_900 && ms < 5_000, `at the deadline, not later (${ms} ms)`);
  t.ok(await stuck.cut(), "the download was cut short");
  t.match(server.output(), /deadline of 2 s reached: closing 1 connection\(s\) still open/);
  t.match(server.output(), /stopped after [\d.]+ s \(forced\)/);

  const patient = await startServer(t, url, { SHUTDOWN_TIMEOUT_SECONDS: "60" });
  await stuckDownload(patient);
  patient.signal("SIGTERM");
  await waitFor(() => refusedOr503(patient.base), "the stop to begin");
  patient.signal("SIGINT");
  const second = await patient.exited;
  t.equal(second.code, 1, "the second signal exits at once, 1");
  t.ok(second.ms < 5_000, `long before the deadline (${second.ms} ms)`);
  t.match(patient.output(), /SIGINT again while stopping: exiting now/);
});
