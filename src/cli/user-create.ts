// `npm run user:create -- --username NAME --role admin|reseller|support [--reseller NAME_OR_ID]`
// The password is asked for at a prompt (not echoed), or read from standard input when
// that is not a terminal: `printf '%s\n' "$PASSWORD" | npm run user:create -- ...`.
// It never comes from the command line, where other users could see it in `ps`.
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { createPrismaClient } from "../db/prisma.js";
import { createUserFromShell } from "../modules/users/users.service.js";
import { systemCaller } from "../shared/actor.js";
import { describeError } from "../shared/describe-error.js";

const usage = "usage: npm run user:create -- --username NAME --role admin|reseller|support [--reseller NAME_OR_ID]";

function parseArgs(argv: string[]): { username: string; role: string; reseller?: string } {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--(username|role|reseller)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}"\n${usage}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value\n${usage}`);
    args[match[1]!] = value;
  }
  if (!args.username || !args.role) throw new Error(usage);
  return { username: args.username, role: args.role, reseller: args.reseller };
}

async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  }
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input, output: process.stdout, terminal: true });
      // Hide what is typed: write nothing back but the prompt.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stdout.write(question);
      };
      rl.question(question, (answer) => {
        rl.close();
        process.stdout.write("\n");
        resolve(answer);
      });
    });
  const first = await ask("Password: ");
  const second = await ask("Password again: ");
  if (first !== second) throw new Error("the two passwords differ");
  return first;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // A running app's embedded server is shared (and left running); DATABASE_URL wins.
  const database = await openDatabase(loadConfig(), () => {}, { shareRunningServer: true });
  const db = createPrismaClient(database.url, 2);
  try {
    // The shell has no signed-in user: its event is the system's ("system", no user id),
    // with a request id of its own for this run.
    const outcome = await createUserFromShell(db, systemCaller(randomUUID()), args, readPassword);
    if (outcome.kind === "invalid") throw new Error(Object.entries(outcome.errors).map(([field, message]) => `${field}: ${message}`).join("\n"));
    console.log(`created user "${outcome.username}" (${args.role}${args.reseller ? `, reseller ${args.reseller}` : ""})`);
  } finally {
    await db.$disconnect();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(`user:create failed: ${describeError(error)}`);
  process.exit(1);
});
