// `npm run user:create`: the password comes from standard input (or a prompt), never from
// the command line; the same rules as the Users page apply.
import { spawn } from "node:child_process";
import path from "node:path";
import t from "tap";
import { createPrismaClient } from "../../src/db/prisma.js";
import { projectRoot } from "../../src/paths.js";
import { createTestDatabase, signIn } from "../helpers/app.js";
import { auditEventsAfter } from "../helpers/audit.js";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";

/** Runs the CLI; stdin undefined leaves it open, as a prompt nobody answers. */
function run(databaseUrl: string, args: string[], stdin: string | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(projectRoot, "dist/src/cli/user-create.js"), ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const waiting = setTimeout(() => child.kill(), 20_000);
    child.on("exit", (code) => {
      clearTimeout(waiting);
      resolve({ code, output });
    });
    if (stdin !== undefined) child.stdin.end(stdin);
  });
}

t.test("user:create", async (t) => {
  const url = await createTestDatabase(t);
  const db = createPrismaClient(url, 2);
  t.teardown(() => db.$disconnect());
  await db.reseller.create({ data: { name: "Acme Telecom" } });

  const ok = await run(url, ["--username", "ops", "--role", "reseller", "--reseller", "acme telecom"], "a shell password\n");
  t.equal(ok.code, 0, ok.output);
  t.match(ok.output, /created user "ops"/);
  t.notMatch(ok.output, /a shell password/, "the password is not echoed");
  t.match(await db.user.findFirstOrThrow({ where: { username: "ops" }, include: { reseller: true } }), { role: "reseller", reseller: { name: "Acme Telecom" } });
  const [created, ...others] = await auditEventsAfter(db, 0n);
  t.match(created, { action: "create", objectType: "user", label: "ops", actorId: null, actorName: "system", changes: { username: [null, "ops"], role: [null, "reseller"], reseller: [null, "Acme Telecom"] } }, "its audit event: by the system");
  t.equal(others.length, 0);
  const app = await buildApp({ ...loadConfig({}), databaseUrl: url }, db, { logger: false });
  t.teardown(() => app.close());
  t.ok(await signIn(app, "ops", "a shell password"), "and can sign in");

  const cases: [string[], string, RegExp][] = [
    [["--username", "ops", "--role", "support"], "another password\n", /taken/],
    [["--username", "x2", "--role", "reseller", "--reseller", "Nope"], "another password\n", /reseller: There is no reseller "Nope". Resellers: "Acme Telecom"/],
    [["--username", "x3", "--role", "wizard"], "another password\n", /not a valid role/],
    [["--username", "xx4", "--role", "support"], "short\n", /at least 10/],
    [["--role", "support"], "another password\n", /usage/],
    [["--username", "x5", "--role", "support", "--password", "nope"], "", /unknown argument "--password"/],
  ];
  for (const [args, stdin, message] of cases) {
    const res = await run(url, args, stdin);
    t.equal(res.code, 1, args.join(" "));
    t.match(res.output, message);
  }
  t.equal(await db.user.count(), 1, "nothing else was created");
  t.equal((await auditEventsAfter(db, 0n)).filter((e) => e.action === "create").length, 1, "and no other user created in the audit log");

  // With the password prompt left unanswered, a wrong argument must still be answered at once.
  const unanswered: [string[], RegExp][] = [
    [["--username", "xx6", "--role", "reseller", "--reseller", "Nope"], /There is no reseller "Nope"/],
    [["--username", "ops", "--role", "support"], /taken/],
    [["--username", "xx7", "--role", "wizard"], /not a valid role/],
    [["--username", "a b", "--role", "support"], /Use 3 to 64 letters/],
    [["--username", "xx8", "--role", "reseller"], /reseller: Choose a reseller/],
  ];
  for (const [args, message] of unanswered) {
    const res = await run(url, args, undefined);
    t.equal(res.code, 1, `${args.join(" ")}: refused before the password is asked for`);
    t.match(res.output, message);
    t.notMatch(res.output, /undefined/);
  }
});
