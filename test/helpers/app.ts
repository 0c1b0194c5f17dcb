// Test harness: a database of its own per test file (cloned from the migrated template
// that `npm test` prepares), the real app on it, and HTML parsing for assertions.
import { randomBytes } from "node:crypto";
import type { Test } from "tap";
import pg from "pg";
import { parse, type HTMLElement } from "node-html-parser";
import { buildApp } from "../../src/app.js";
import { loadConfig, type AppConfig } from "../../src/config.js";
import { createPrismaClient, type Db } from "../../src/db/prisma.js";

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(requireEnv("TEST_DB_SERVER_URL"), "postgres") });
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
  return withDatabase(requireEnv("TEST_DB_SERVER_URL"), name);
}

export interface TestApp {
  app: Awaited<ReturnType<typeof buildApp>>;
  db: Db;
  url: string;
  config: AppConfig;
}

export async function buildTestApp(t: Test, overrides: Partial<AppConfig> = {}): Promise<TestApp> {
  const url = await createTestDatabase(t);
  const config = { ...loadConfig({}), databaseUrl: url, ...overrides };
  const db = createPrismaClient(url, 4);
  const app = await buildApp(config, db, false);
  t.teardown(async () => {
    await app.close();
    await db.$disconnect();
  });
  return { app, db, url, config };
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
