// Test data, written straight to the database through Prisma.
import type { Db } from "../../src/db/prisma.js";
import { newApiToken } from "../../src/modules/api-tokens/api-token-secret.js";
import { hashPassword } from "../../src/modules/auth/passwords.js";
import { testPassword } from "./app.js";

let counter = 0;
const unique = (prefix: string) => `${prefix} ${++counter}-${Math.random().toString(36).slice(2, 6)}`;

export async function makeReseller(db: Db, name = unique("Reseller")) {
  return db.reseller.create({ data: { name } });
}

export async function makeOperator(db: Db, options: { name?: string; resellerId?: number } = {}) {
  const resellerId = options.resellerId ?? (await makeReseller(db)).id;
  return db.operator.create({ data: { name: options.name ?? unique("Operator"), resellerId }, include: { reseller: true } });
}

export async function makeDids(
  db: Db,
  operatorId: number,
  numbers: string[],
  extra: { status?: "in_stock" | "reserved" | "active" | "blocked" | "hold" | "archive"; tag?: string; notes?: string; clientAccountId?: number; holdUntil?: Date } = {},
) {
  await db.did.createMany({ data: numbers.map((number) => ({ number, operatorId, ...extra })) });
  return db.did.findMany({ where: { number: { in: numbers } }, orderBy: { number: "asc" } });
}

export async function makeClientAccount(db: Db, resellerId: number, names = { client: unique("Client"), account: unique("Account") }) {
  const client = await db.client.create({ data: { name: names.client, resellerId } });
  return db.clientAccount.create({ data: { name: names.account, clientId: client.id, resellerId }, include: { client: true } });
}

let passwordHash: Promise<string> | undefined;

/** A user with the test password, not signed in. */
export async function makeUser(db: Db, user: { username: string; role: "admin" | "reseller" | "support"; resellerId?: number | null }) {
  passwordHash ??= hashPassword(testPassword);
  return db.user.create({ data: { username: user.username, role: user.role, resellerId: user.resellerId ?? null, passwordHash: await passwordHash } });
}

export async function makePackage(db: Db, resellerId: number, options: { name?: string; didLimit?: number; allowedTags?: string[]; defaultHoldDays?: number } = {}) {
  return db.package.create({
    data: { name: options.name ?? unique("Package"), resellerId, didLimit: options.didLimit ?? 10, allowedTags: options.allowedTags ?? [], defaultHoldDays: options.defaultHoldDays ?? 0 },
  });
}

/** A subscription in force from yesterday (or from `startDate`), with no end unless given. */
export async function makeSubscription(db: Db, clientId: number, pkg: { id: number; resellerId: number }, options: { startDate?: string; endDate?: string; active?: boolean } = {}) {
  const day = (text: string) => new Date(`${text}T00:00:00Z`);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  return db.subscription.create({
    data: {
      clientId,
      packageId: pkg.id,
      resellerId: pkg.resellerId,
      startDate: day(options.startDate ?? yesterday),
      endDate: options.endDate ? day(options.endDate) : null,
      active: options.active ?? true,
    },
  });
}

/** An API token straight in the database; returns the bearer token with its row. */
export async function makeApiToken(db: Db, options: { name?: string; resellerId?: number | null; rateLimit?: number | null; allowedNetworks?: string[]; revoked?: boolean } = {}) {
  const secret = newApiToken();
  const row = await db.apiToken.create({
    data: {
      name: options.name ?? unique("Token"),
      resellerId: options.resellerId ?? null,
      tokenHash: secret.hash,
      tokenPrefix: secret.prefix,
      rateLimit: options.rateLimit ?? null,
      allowedNetworks: options.allowedNetworks ?? [],
      revokedAt: options.revoked ? new Date() : null,
    },
  });
  return { ...row, token: secret.token };
}
