// The only place the app's pages read and write API tokens. No query here returns a
// token's hash: the pages never need it, and what is not read cannot leak.
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";

export interface ApiTokenRow {
  id: number;
  name: string;
  tokenPrefix: string;
  resellerId: number | null;
  resellerName: string | null;
  rateLimit: number | null;
  allowedNetworks: string[];
  createdAt: Date;
  createdBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

const rowColumns = Prisma.raw(`
  t.id, t.name, t.token_prefix AS "tokenPrefix", t.reseller_id AS "resellerId", r.name AS "resellerName",
  t.rate_limit AS "rateLimit", COALESCE(t.allowed_networks, '{}')::text[] AS "allowedNetworks",
  t.created_at AS "createdAt", c.username AS "createdBy", t.last_used_at AS "lastUsedAt",
  t.revoked_at AS "revokedAt", v.username AS "revokedBy"`);
const rowJoins = Prisma.raw(`
  FROM api_token t
  LEFT JOIN reseller r ON r.id = t.reseller_id
  LEFT JOIN app_user c ON c.id = t.created_by_id
  LEFT JOIN app_user v ON v.id = t.revoked_by_id`);

/** Every token, the active ones first, newest first within each group. */
export async function listApiTokens(db: DbOrTx): Promise<ApiTokenRow[]> {
  return db.$queryRaw<ApiTokenRow[]>`SELECT ${rowColumns} ${rowJoins} ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC`;
}

export async function findApiToken(db: DbOrTx, id: number): Promise<ApiTokenRow | undefined> {
  const rows = await db.$queryRaw<ApiTokenRow[]>`SELECT ${rowColumns} ${rowJoins} WHERE t.id = ${id}`;
  return rows[0];
}

/**
 * Inside a transaction: one token created at a time, until commit, so that two admins
 * giving two tokens the same name at once cannot both pass the "name in use" check (the
 * table has no unique index on names: a revoked token's name may be used again).
 */
export async function lockApiTokenNames(tx: DbOrTx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('api_token.name'))`;
}

/** True when an active token has this name, in any letter case. */
export async function activeApiTokenNameTaken(db: DbOrTx, name: string): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM api_token WHERE lower(name) = lower(${name}) AND revoked_at IS NULL LIMIT 1`;
  return rows.length > 0;
}

export interface NewApiTokenRow {
  name: string;
  resellerId: number | null;
  tokenHash: string;
  tokenPrefix: string;
  rateLimit: number | null;
  allowedNetworks: string[];
  createdById: number | null;
}

export async function createApiToken(db: DbOrTx, data: NewApiTokenRow): Promise<{ id: number }> {
  return db.apiToken.create({ data, select: { id: true } });
}

/**
 * Inside a transaction: locks the token's row until commit, so that two admins revoking it
 * at once run one after the other and the second sees it revoked. False when it does not exist.
 */
export async function lockApiToken(tx: DbOrTx, id: number): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM api_token WHERE id = ${id} FOR UPDATE`;
  return rows.length > 0;
}

/** Revoked now (the database's clock, as created_at), by `userId`. */
export async function revokeApiToken(db: DbOrTx, id: number, userId: number | null): Promise<void> {
  await db.$executeRaw`UPDATE api_token SET revoked_at = now(), revoked_by_id = ${userId} WHERE id = ${id}`;
}
