// `npm start`'s program on the embedded default: starts PostgreSQL and the app, answers,
// stops both on Ctrl-C (SIGINT), and a second start finds the same data.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { freePort } from "../../src/db/embedded-postgres.js";
import { projectRoot } from "../../src/paths.js";
import { browserClient } from "../helpers/browser-client.js";

const serverJs = path.join(projectRoot, "dist/src/server.js");

function start(dataDir: string, port: number): { child: ChildProcess; output: () => string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [serverJs], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function waitFor(url: string, deadlineMs: number): Promise<Response> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Signs in through the form; then GETs and POSTs (forms with the password page's CSRF token). */
async function signIn(base: string, username: string, password: string) {
  const client = browserClient();
  const signedIn = await client.signIn(base, username, password);
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  return {
    post: (path: string, fields: Record<string, string>) => client.post(base, path, new URLSearchParams(fields), "/account/password"),
    get: (path: string) => client.get(base, path),
  };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function postmasterRunning(dataDir: string): Promise<boolean> {
  const pidFile = path.join(dataDir, "postgres", "postmaster.pid");
  if (!existsSync(pidFile)) return false;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test("start, answer, stop on SIGINT, start again with the same data", { skip: !existsSync(serverJs) && "run `npm run build` first" }, async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "did-start-"));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));

  const port = await freePort();
  const first = start(dataDir, port);
  t.teardown(() => first.child.kill("SIGKILL"));
  const page = await waitFor(`http://127.0.0.1:${port}/signin`, 60_000);
  t.equal(page.status, 200, "serves on PORT");
  t.match(first.output(), /applied migrations/, "migrated the new database");
  const password = /created the user "admin" with the password\s+(\S+)/.exec(first.output())?.[1];
  t.ok(password, "prints the first admin's password once");
  const admin = await signIn(`http://127.0.0.1:${port}`, "admin", password!);
  const created = await admin.post("/resellers", { name: "Kept" });
  t.equal(created.status, 303);
  t.ok(await postmasterRunning(dataDir), "the embedded server runs under DATA_DIR");

  const exited = exitOf(first.child);
  first.child.kill("SIGINT");
  t.equal(await exited, 0, "exits cleanly on Ctrl-C");
  t.notOk(await postmasterRunning(dataDir), "and stops the embedded server");

  const port2 = await freePort();
  const second = start(dataDir, port2);
  t.teardown(() => second.child.kill("SIGKILL"));
  await waitFor(`http://127.0.0.1:${port2}/signin`, 60_000);
  const again = await signIn(`http://127.0.0.1:${port2}`, "admin", password!);
  t.match(await (await again.get("/resellers")).text(), /Kept/, "the second start reuses the data (and the password)");
  t.notMatch(second.output(), /initialising|First run/, "without initialising or creating a user again");
  const exited2 = exitOf(second.child);
  second.child.kill("SIGTERM");
  t.equal(await exited2, 0);
});
