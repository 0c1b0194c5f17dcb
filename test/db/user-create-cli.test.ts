// `npm run user:create`: the password comes from standard input (or a prompt), never from
// the command line; the same rules as the Users page apply.
import { spawn } from "node:child_process";
import path from "node:path";
import t from "tap";
import { createPrismaClient } from "../../src/db/prisma.js";
import { projectRoot } from "../../src/paths.js";
import { createTestDatabase, signIn } from "../helpers/app.js";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";

function run(databaseUrl: string, args: string[], stdin: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(projectRoot, "dist/src/cli/user-create.js"), ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.on("exit", (code) => resolve({ code, output }));
    child.stdin.end(stdin);
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
  const app = await buildApp({ ...loadConfig({}), databaseUrl: url }, db, { logger: false });
  t.teardown(() => app.close());
  t.ok(await signIn(app, "ops", "a shell password"), "and can sign in");

  const cases: [string[], string, RegExp][] = [
    [["--username", "ops", "--role", "support"], "another password\n", /taken/],
    [["--username", "x2", "--role", "reseller", "--reseller", "Nope"], "another password\n", /reseller: That reseller does not exist/],
    [["--username", "x3", "--role", "wizard"], "another password\n", /not a valid role/],
    [["--username", "x4", "--role", "support"], "short\n", /at least 10/],
    [["--role", "support"], "another password\n", /usage/],
    [["--username", "x5", "--role", "support", "--password", "nope"], "", /unknown argument "--password"/],
  ];
  for (const [args, stdin, message] of cases) {
    const res = await run(url, args, stdin);
    t.equal(res.code, 1, args.join(" "));
    t.match(res.output, message);
  }
  t.equal(await db.user.count(), 1, "nothing else was created");
});
