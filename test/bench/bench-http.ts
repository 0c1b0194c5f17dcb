// What the bench's parts share to drive the app over HTTP: signing in through the form as a
// browser does, starting and stopping server processes, and load runs from the load
// generator's own process (load-generator.ts).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../../src/paths.js";

export { freePort } from "../../src/db/embedded-postgres.js";

/** The cookies a response sets (a cleared cookie, with an empty value, is left out). */
export function setCookies(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(eq + 1) !== "") out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

export const cookieHeader = (cookies: Record<string, string>) => Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join("; ");

/** The page's CSRF token (the hidden _csrf field of its forms). */
export function csrfTokenOf(html: string, what: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`${what}: no CSRF token in the page`);
  return token;
}

/**
 * The sign-in form: GET /signin for the CSRF cookie and token, then POST (timed). The
 * session, every cookie a browser then holds, and the POST's time.
 */
export async function signIn(base: string, username: string, password: string): Promise<{ session: string; cookies: Record<string, string>; ms: number }> {
  const page = await fetch(`${base}/signin`, { redirect: "manual" });
  const html = await page.text();
  const cookies = setCookies(page);
  const body = new URLSearchParams({ username, password, _csrf: csrfTokenOf(html, "GET /signin"), next: "/dids" });
  const started = performance.now();
  const res = await fetch(`${base}/signin`, {
    method: "POST",
    body: body.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(cookies) },
    redirect: "manual",
  });
  await res.arrayBuffer();
  const ms = performance.now() - started;
  const signedIn = { ...cookies, ...setCookies(res) };
  const session = signedIn.did_session;
  if (res.status !== 303 || !session) throw new Error(`POST /signin as ${username} answered ${res.status}${session ? "" : " without a session cookie"}, expected a 303 with one`);
  return { session, cookies: signedIn, ms };
}

/** Waits (up to a minute) until `url` answers below 500; fails at once if `child` exits. */
export async function waitForHttp(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before answering`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer ${url} within 60 s`);
}

/** SIGTERM (the app's graceful stop), then SIGKILL if it is still running after `killAfterMs`. */
export function stopProcess(child: ChildProcess | undefined, killAfterMs: number): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export interface LoadResult {
  perSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Answers not in `okStatuses`, connection errors and timeouts. */
  failures: number;
}

export interface LoadOptions {
  url: string;
  /** One path for every request, or `pathPrefix` + a random line of `numbersFile`. */
  path?: string;
  pathPrefix?: string;
  numbersFile?: string;
  headers: Record<string, string>;
  /** The answers that count as served. */
  okStatuses: number[];
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

/** One load run (a warm-up, then the measured run) from a process of its own (load-generator.ts). */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, "dist/test/bench/load-generator.js"), JSON.stringify(options)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`the load generator exited with code ${code}`));
      resolve(JSON.parse(output.trim().split("\n").pop()!) as LoadResult);
    });
  });
}
