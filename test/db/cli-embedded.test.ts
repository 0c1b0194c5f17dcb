// The command-line tools while the app runs on the embedded PostgreSQL: they share its
// server (and leave it running) instead of failing with a bare "undefined"; a second app
// on the same data directory is refused with a message that says what to do.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import t from "tap";
import pg from "pg";
import { openDatabase } from "../../src/db/database.js";
import { projectRoot } from "../../src/paths.js";
import { describeError } from "../../src/shared/describe-error.js";

function run(script: string, args: string[], dataDir: string, stdin = ""): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: "0" };
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(projectRoot, script), ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(deadline);
      resolve({ code, output });
    });
    child.stdin.end(stdin);
  });
}

async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

t.test("with the app's embedded server running", async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "did-cli-"));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  // What `npm start` does first: start the embedded server on DATA_DIR and migrate.
  const running = await openDatabase({ databaseUrl: undefined, dataDir }, () => {});
  t.teardown(() => running.close());

  const created = await run("dist/src/cli/user-create.js", ["--username", "desk", "--role", "support"], dataDir, "a shell password\n");
  t.equal(created.code, 0, created.output);
  t.match(created.output, /created user "desk"/);
  t.equal(await count(running.url, "SELECT count(*) AS n FROM app_user WHERE username = 'desk'"), 1, "in the running app's database");

  const seeded = await run("dist/src/db/seed.js", ["--dids", "300"], dataDir);
  t.equal(seeded.code, 0, seeded.output);
  t.match(seeded.output, /300 DIDs/);
  t.equal(await count(running.url, "SELECT count(*) AS n FROM did"), 300);

  const migrated = await run("dist/src/db/migrate-cli.js", [], dataDir);
  t.equal(migrated.code, 0, migrated.output);
  t.match(migrated.output, /database is up to date/);

  t.equal(await count(running.url, "SELECT 1 AS n"), 1, "the tools left the app's server running");

  const second = await run("dist/src/server.js", [], dataDir);
  t.equal(second.code, 1, "a second app on the same DATA_DIR stops");
  t.match(second.output, /could not start: the embedded PostgreSQL in .* is already running \(postgres process \d+, port \d+\).*stop it first.*`kill \d+`.*own DATA_DIR, or set DATABASE_URL/s);
  t.notMatch(second.output, /undefined/);
  t.equal(await count(running.url, "SELECT 1 AS n"), 1, "and leaves the first one's server alone");
});

t.test("errors without a message still say something", async (t) => {
  t.equal(describeError(new Error("disk full")), "disk full");
  t.match(describeError(undefined), /no message/);
  t.equal(describeError("plain"), "plain");
  t.equal(describeError({ code: "E1" }), '{"code":"E1"}');
});
