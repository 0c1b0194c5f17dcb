// Test harness: a database of its own per test file (cloned from the migrated template
// that `npm test` prepares), the real app on it, and HTML parsing for assertions.
import { randomBytes } from "node:crypto";
import type { Test } from "tap";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import pg from "pg";
import { parse, type HTMLElement } from "node-html-parser";
import { buildApp, type BuildOptions } from "../../src/app.js";
import { loadConfig, type AppConfig } from "../../src/config.js";
import { withDatabaseName } from "../../src/db/migrate.js";
import { createPrismaClient, poolOf, type Db } from "../../src/db/prisma.js";
import { hashPassword } from "../../src/modules/auth/passwords.js";
import type { UserRole } from "../../src/shared/actor.js";

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabaseName(requireEnv("TEST_DB_SERVER_URL"), "postgres") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which prepares the database`);
  return value;
}

/** A fresh, migrated database for this test (file), dropped at its end. */
export async function createTestDatabase(t: Test): Promise<string> {
  const template = requireEnv("TEST_DB_TEMPLATE");
  const name = `${template}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  t.teardown(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  return withDatabaseName(requireEnv("TEST_DB_SERVER_URL"), name);
}

/** A new database with nothing in it (not cloned from the migrated template), dropped at the test's end. */
export async function createEmptyDatabase(t: Test): Promise<string> {
  const name = `${requireEnv("TEST_DB_TEMPLATE")}_empty_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  t.teardown(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  return withDatabaseName(requireEnv("TEST_DB_SERVER_URL"), name);
}

type App = Awaited<ReturnType<typeof buildApp>>;

/** A signed-in browser: its session and CSRF cookies and token go with every request. */
export interface Browser {
  username: string;
  cookies: string;
  csrfToken: string;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export interface TestApp {
  app: App;
  db: Db;
  url: string;
  config: AppConfig;
  /** An admin, signed in. */
  admin: Browser;
  /** Creates a user and signs them in. */
  signInAs(user: { role: UserRole; resellerId?: number | null; username?: string }): Promise<Browser>;
}

export const testPassword = "correct horse battery";
let userCounter = 0;

/** Signs `username` in through the real form, then picks up the CSRF token of a page. */
export async function signIn(app: App, username: string, password = testPassword): Promise<Browser> {
  const anonymous = await app.inject({ url: "/signin" });
  const preCookies = cookiesOf(anonymous);
  const token = html(anonymous.body).querySelector('input[name="_csrf"]')?.getAttribute("value") ?? "";
  const res = await app.inject({ method: "POST", url: "/signin", ...form({ username, password, _csrf: token }), cookies: preCookies });
  if (res.statusCode !== 303) throw new Error(`sign-in of ${username} answered ${res.statusCode}`);
  const session = cookiesOf(res).did_session!;
  const page = await app.inject({ url: "/account/password", cookies: { did_session: session } });
  const cookies = { did_session: session, ...cookiesOf(page) };
  const csrfToken = html(page.body).querySelector('input[name="_csrf"]')!.getAttribute("value")!;
  const cookieHeader = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join("; ");
  return {
    username,
    cookies: cookieHeader,
    csrfToken,
    inject(options) {
      const headers = { ...(options.headers ?? {}) } as Record<string, string>;
      // A test that wants no token says so with an explicit empty header.
      headers.cookie = [cookieHeader, headers.cookie].filter(Boolean).join("; ");
      if (options.method && options.method !== "GET" && headers["x-csrf-token"] === undefined) headers["x-csrf-token"] = csrfToken;
      return app.inject({ ...options, headers });
    },
  };
}

function cookiesOf(res: { cookies: { name: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(res.cookies.filter((c) => c.value !== "").map((c) => [c.name, c.value]));
}

export async function buildTestApp(t: Test, overrides: Partial<AppConfig> = {}, options: Pick<BuildOptions, "clock"> = {}): Promise<TestApp> {
  const url = await createTestDatabase(t);
  const config = { ...loadConfig({}), databaseUrl: url, ...overrides };
  const db = createPrismaClient(url, 4);
  const app = await buildApp(config, db, { logger: process.env.TEST_LOG ? { level: "error" } : false, ...options });
  t.teardown(async () => {
    await app.close();
    await db.$disconnect();
  });
  const passwordHash = await hashPassword(testPassword);
  const signInAs = async (user: { role: UserRole; resellerId?: number | null; username?: string }) => {
    const username = user.username ?? `${user.role}-${++userCounter}`;
    await db.user.create({ data: { username, passwordHash, role: user.role, resellerId: user.resellerId ?? null } });
    return signIn(app, username);
  };
  const admin = await signInAs({ role: "admin", username: "admin" });
  return { app, db, url, config, admin, signInAs };
}

export function html(body: string): HTMLElement {
  return parse(body);
}

/** The visible text of an element, whitespace collapsed. */
export function text(element: HTMLElement | null | undefined): string {
  return (element?.textContent ?? "").replace(/\s+/g, " ").trim();
}

/** The inventory table's rows as arrays of cell texts. */
export function tableRows(root: HTMLElement): string[][] {
  return root.querySelectorAll("table.list tbody tr").map((tr) => tr.querySelectorAll("td").map((td) => text(td)));
}

export function form(fields: Record<string, string | string[]>): { payload: string; headers: Record<string, string> } {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  return { payload: params.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
}

export const htmx = { "hx-request": "true" };

/**
 * What `work` returns, and the statements the pool under `db` is asked for while it runs
 * (each one's text, and its name when prepared): hotPathQuery's and Prisma's alike.
 */
export async function statementsDuring<T>(db: Db, work: () => Promise<T>): Promise<{ result: T; statements: { text: string; name?: string }[] }> {
  const pool = poolOf(db);
  const query = pool.query.bind(pool);
  const seen: { text: string; name?: string }[] = [];
  pool.query = ((config: unknown, ...rest: unknown[]) => {
    const { text, name } = typeof config === "string" ? { text: config, name: undefined } : (config as { text: string; name?: string });
    seen.push({ text, name });
    return (query as (...args: unknown[]) => unknown)(config, ...rest);
  }) as typeof pool.query;
  try {
    return { result: await work(), statements: seen };
  } finally {
    pool.query = query;
  }
}
