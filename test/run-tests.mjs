// `npm test`: finds a PostgreSQL for the tests, prepares one migrated template database,
// runs tap (every test file clones its own database from the template, so files can run
// in parallel), cleans up and prints a plain "N passed, N failed" line.
//
// The server: TEST_DATABASE_URL, else DATABASE_URL (any database on that server; the
// tests create and drop their own), else an embedded PostgreSQL in a temporary directory
// (test/helpers/pg-server.mjs, shared with the Docker runtime-stage check).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { applyMigrations, withDatabaseName } from "../dist/src/db/migrate.js";
import { adminQuery as admin, findTestServer } from "./helpers/pg-server.mjs";

const log = (message) => console.log(`[test setup] ${message}`);

const server = await findTestServer(log);
const serverUrl = server.serverUrl;

const template = `did_test_tpl_${process.pid}_${Date.now().toString(36)}`;
let exitCode = 1;
try {
  await admin(serverUrl, `CREATE DATABASE "${template}"`);
  await applyMigrations(withDatabaseName(serverUrl, template));
  log(`migrated template database ${template}`);

  const args = process.argv.slice(2);
  // The browser tests need Debian's Chromium. CI installs it (.ci/run) and must run them;
  // on a developer's fresh machine without it, the rest of the suite still runs, loudly.
  if (!existsSync("/usr/bin/chromium") && !process.env.CI && args.length === 0) {
    log("Chromium is not installed: SKIPPING the browser tests (test/e2e). Install it with `apt-get install chromium` to run them.");
    args.push("--exclude=test/e2e/**");
  }
  const child = spawn(process.execPath, [path.resolve("node_modules/tap/dist/esm/run.mjs"), ...args], {
    stdio: ["inherit", "pipe", "inherit"],
    env: { ...process.env, TEST_DB_SERVER_URL: serverUrl, TEST_DB_TEMPLATE: template },
  });
  let tail = "";
  child.stdout.on("data", (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  });
  exitCode = await new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  // tap closes with "# { total: N, pass: N, fail: N, ... }": restate it as CI reads it.
  const summary = /# \{ total: (\d+)([^}]*)\}/.exec(tail);
  if (summary) {
    const count = (name) => Number(new RegExp(`${name}: (\\d+)`).exec(summary[2])?.[1] ?? 0);
    console.log(`${count("pass")} passed, ${count("fail")} failed, ${count("skip") + count("todo")} skipped`);
  }
} finally {
  // Test databases left by a crashed file, then the template.
  const left = await admin(serverUrl, `SELECT datname FROM pg_database WHERE datname LIKE '${template}%'`).catch(() => ({ rows: [] }));
  for (const row of left.rows) await admin(serverUrl, `DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`).catch(() => {});
  await server.stop();
}
process.exit(exitCode);
