// Server-side secrets, kept in the database so that every instance shares them.
import { randomBytes } from "node:crypto";
import type { DbOrTx } from "../../db/prisma.js";

/** The named secret, created (random, 256 bits) the first time any instance asks. */
export async function sharedSecret(db: DbOrTx, name: string): Promise<string> {
  const candidate = randomBytes(32).toString("base64url");
  // Two instances starting together: the first insert wins and both read the same value.
  await db.$executeRaw`INSERT INTO app_secret (name, value) VALUES (${name}, ${candidate}) ON CONFLICT (name) DO NOTHING`;
  const rows = await db.$queryRaw<{ value: string }[]>`SELECT value FROM app_secret WHERE name = ${name}`;
  return rows[0]!.value;
}
