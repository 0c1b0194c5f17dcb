// The only place that reads and writes clients and their accounts. Every query takes the
// user's scope: another reseller's clients are not there, exactly as missing ones.
import { Prisma } from "../../generated/prisma/client.js";
import type { DbOrTx } from "../../db/prisma.js";
import type { Scope } from "../../shared/actor.js";
import { escapeLike } from "../../shared/sql.js";
import { suggestionLimit, type ClientListQuery } from "./client-filters.js";

function andInScope(scope: Scope, alias: string): Prisma.Sql {
  return scope.resellerId === null ? Prisma.empty : Prisma.sql`AND ${Prisma.raw(alias)}.reseller_id = ${scope.resellerId}`;
}

/** The DIDs on a client's accounts (alias c), counted through did_client_account_id_number_idx. */
const clientDidCountSql = Prisma.sql`(SELECT count(*)::int FROM did d WHERE d.client_account_id IN (SELECT a.id FROM client_account a WHERE a.client_id = c.id))`;

export interface ClientRow {
  id: number;
  name: string;
  resellerId: number;
  resellerName: string;
  accountCount: number;
  didCount: number;
}

function clientWhere(scope: Scope, filter: ClientListQuery["filter"]): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (scope.resellerId !== null) conditions.push(Prisma.sql`c.reseller_id = ${scope.resellerId}`);
  // Served by the trigram index client_name_trgm_idx.
  if (filter.name) conditions.push(Prisma.sql`c.name ILIKE ${`%${escapeLike(filter.name)}%`}`);
  if (filter.resellerId !== undefined) conditions.push(Prisma.sql`c.reseller_id = ${filter.resellerId}`);
  return conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
}

export async function listClients(db: DbOrTx, scope: Scope, query: ClientListQuery): Promise<{ rows: ClientRow[]; total: number }> {
  const where = clientWhere(scope, query.filter);
  const [rows, [counted]] = await Promise.all([
    // The page is cut first (by the lower(name) indexes), then only its 50 clients are
    // joined and counted.
    db.$queryRaw<ClientRow[]>`
      SELECT c.id, c.name, r.id AS "resellerId", r.name AS "resellerName",
        (SELECT count(*)::int FROM client_account a WHERE a.client_id = c.id) AS "accountCount",
        ${clientDidCountSql} AS "didCount"
      FROM (SELECT c.id FROM client c ${where} ORDER BY lower(c.name), c.id LIMIT ${query.per} OFFSET ${(query.page - 1) * query.per}) page
      JOIN client c ON c.id = page.id
      JOIN reseller r ON r.id = c.reseller_id
      ORDER BY lower(c.name), c.id`,
    db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM client c ${where}`,
  ]);
  return { rows, total: counted?.total ?? 0 };
}

/** Names containing `text`, for the inventory's client field: at most 20, in scope. */
export async function suggestClients(db: DbOrTx, scope: Scope, text: string): Promise<{ id: number; name: string; resellerName: string }[]> {
  return db.$queryRaw`
    SELECT c.id, c.name, r.name AS "resellerName"
    FROM client c JOIN reseller r ON r.id = c.reseller_id
    WHERE c.name ILIKE ${`%${escapeLike(text)}%`} ${andInScope(scope, "c")}
    ORDER BY lower(c.name), c.id
    LIMIT ${suggestionLimit}`;
}

/** The client a `client=<id>` filter names, for the inventory's search form. */
export async function findClientChoice(db: DbOrTx, scope: Scope, id: number): Promise<{ id: number; name: string } | undefined> {
  const [row] = await db.$queryRaw<{ id: number; name: string }[]>`SELECT c.id, c.name FROM client c WHERE c.id = ${id} ${andInScope(scope, "c")}`;
  return row;
}

export interface ClientDetail {
  id: number;
  name: string;
  notes: string | null;
  resellerId: number;
  resellerName: string;
  createdAt: Date;
  updatedAt: Date;
  didCount: number;
}

export async function findClient(db: DbOrTx, scope: Scope, id: number): Promise<ClientDetail | undefined> {
  const [row] = await db.$queryRaw<ClientDetail[]>`
    SELECT c.id, c.name, c.notes, c.reseller_id AS "resellerId", r.name AS "resellerName", c.created_at AS "createdAt", c.updated_at AS "updatedAt",
      ${clientDidCountSql} AS "didCount"
    FROM client c JOIN reseller r ON r.id = c.reseller_id
    WHERE c.id = ${id} ${andInScope(scope, "c")}`;
  return row;
}

/**
 * Inside a transaction: locks the client until commit. Accounts being added to it (their
 * foreign key takes a share lock on it) wait, so what is read after this is final.
 */
export async function lockClient(tx: DbOrTx, scope: Scope, id: number): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM client c WHERE c.id = ${id} ${andInScope(scope, "c")} FOR UPDATE`;
  return rows.length > 0;
}

export async function clientNameTaken(db: DbOrTx, resellerId: number, name: string, exceptId?: number): Promise<boolean> {
  const other = exceptId === undefined ? Prisma.empty : Prisma.sql`AND id <> ${exceptId}`;
  const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM client WHERE reseller_id = ${resellerId} AND lower(name) = lower(${name}) ${other} LIMIT 1`;
  return rows.length > 0;
}

export async function createClient(db: DbOrTx, data: { name: string; resellerId: number; notes: string | null }) {
  return db.client.create({ data, select: { id: true } });
}

export async function updateClient(db: DbOrTx, id: number, data: { name: string; notes: string | null }): Promise<void> {
  await db.client.update({ where: { id }, data });
}

/** Deletes the client; its accounts and subscriptions must be gone. */
export async function deleteClient(db: DbOrTx, id: number): Promise<void> {
  await db.client.delete({ where: { id } });
}

/**
 * Its subscriptions, for a client being deleted (and locked): none holds a DID by then,
 * since a DID under a subscription sits on one of the client's accounts.
 */
export async function listSubscriptionsForDelete(db: DbOrTx, clientId: number): Promise<{ id: number; packageName: string; startDate: Date; endDate: Date | null }[]> {
  return db.$queryRaw`
    SELECT s.id, p.name AS "packageName", s.start_date AS "startDate", s.end_date AS "endDate"
    FROM subscription s JOIN package p ON p.id = s.package_id
    WHERE s.client_id = ${clientId}
    ORDER BY s.id
    FOR UPDATE OF s`;
}

export async function deleteSubscriptions(db: DbOrTx, ids: number[]): Promise<void> {
  if (ids.length > 0) await db.subscription.deleteMany({ where: { id: { in: ids } } });
}

export interface AccountRow {
  id: number;
  name: string;
  didCount: number;
}

export async function listAccounts(db: DbOrTx, clientId: number): Promise<AccountRow[]> {
  return db.$queryRaw`
    SELECT a.id, a.name, (SELECT count(*)::int FROM did d WHERE d.client_account_id = a.id) AS "didCount"
    FROM client_account a
    WHERE a.client_id = ${clientId}
    ORDER BY lower(a.name), a.id`;
}

/**
 * Inside a transaction: locks the client's accounts in id order. A DID being assigned to
 * one of them (its foreign key and the assignment trigger take a share lock on the account)
 * waits, or has committed and is counted after this.
 */
export async function lockAccounts(tx: DbOrTx, clientId: number): Promise<{ id: number; name: string }[]> {
  return tx.$queryRaw`SELECT a.id, a.name FROM client_account a WHERE a.client_id = ${clientId} ORDER BY a.id FOR UPDATE`;
}

export interface AccountDetail {
  id: number;
  name: string;
  clientId: number;
  clientName: string;
  resellerId: number;
  didCount: number;
}

export async function findAccount(db: DbOrTx, scope: Scope, clientId: number, accountId: number, options: { lock?: boolean } = {}): Promise<AccountDetail | undefined> {
  const lock = options.lock ? Prisma.sql`FOR UPDATE OF a` : Prisma.empty;
  const [row] = await db.$queryRaw<Omit<AccountDetail, "didCount">[]>`
    SELECT a.id, a.name, a.client_id AS "clientId", c.name AS "clientName", a.reseller_id AS "resellerId"
    FROM client_account a JOIN client c ON c.id = a.client_id
    WHERE a.id = ${accountId} AND a.client_id = ${clientId} ${andInScope(scope, "a")}
    ${lock}`;
  // Counted after the lock, so a DID assigned meanwhile is not missed.
  return row ? { ...row, didCount: await countAccountDids(db, row.id) } : undefined;
}

export async function countAccountDids(db: DbOrTx, accountId: number): Promise<number> {
  return db.did.count({ where: { clientAccountId: accountId } });
}

export async function countClientDids(db: DbOrTx, clientId: number): Promise<number> {
  return db.did.count({ where: { clientAccount: { clientId } } });
}

export async function accountNameTaken(db: DbOrTx, clientId: number, name: string, exceptId?: number): Promise<boolean> {
  const other = exceptId === undefined ? Prisma.empty : Prisma.sql`AND id <> ${exceptId}`;
  const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM client_account WHERE client_id = ${clientId} AND lower(name) = lower(${name}) ${other} LIMIT 1`;
  return rows.length > 0;
}

/** The account's reseller is its client's: the composite foreign key holds them equal. */
export async function createAccount(db: DbOrTx, data: { clientId: number; resellerId: number; name: string }) {
  return db.clientAccount.create({ data, select: { id: true } });
}

export async function renameAccount(db: DbOrTx, id: number, name: string): Promise<void> {
  await db.clientAccount.update({ where: { id }, data: { name } });
}

export async function deleteAccounts(db: DbOrTx, ids: number[]): Promise<void> {
  if (ids.length > 0) await db.clientAccount.deleteMany({ where: { id: { in: ids } } });
}

/** The inventory's account filter: the account, in scope, with its client's id and name. */
export async function findAccountChoice(db: DbOrTx, scope: Scope, id: number): Promise<{ id: number; name: string; clientId: number; clientName: string } | undefined> {
  const [row] = await db.$queryRaw<{ id: number; name: string; clientId: number; clientName: string }[]>`
    SELECT a.id, a.name, c.id AS "clientId", c.name AS "clientName" FROM client_account a JOIN client c ON c.id = a.client_id
    WHERE a.id = ${id} ${andInScope(scope, "c")}`;
  return row;
}

/** A client's accounts by name, for the inventory's account filter once a client is chosen. */
export async function listAccountChoices(db: DbOrTx, clientId: number): Promise<{ id: number; name: string }[]> {
  return db.$queryRaw<{ id: number; name: string }[]>`SELECT id, name FROM client_account WHERE client_id = ${clientId} ORDER BY lower(name), id`;
}

/** The client in scope with its accounts by name: what subscriptions and assignments check against. */
export async function findClientWithAccounts(db: DbOrTx, scope: Scope, id: number): Promise<{ id: number; name: string; resellerId: number; accounts: { id: number; name: string }[] } | undefined> {
  const [client] = await db.$queryRaw<{ id: number; name: string; resellerId: number }[]>`
    SELECT c.id, c.name, c.reseller_id AS "resellerId" FROM client c WHERE c.id = ${id} ${andInScope(scope, "c")}`;
  return client ? { ...client, accounts: await listAccountChoices(db, client.id) } : undefined;
}

/**
 * Inside a transaction: keeps the account (of this client) from being deleted until commit,
 * the lock a foreign-key check takes, so DIDs can be assigned or moved to it. False when it
 * is gone (deleted meanwhile).
 */
export async function holdAccount(tx: DbOrTx, clientId: number, accountId: number): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM client_account WHERE id = ${accountId} AND client_id = ${clientId} FOR KEY SHARE`;
  return rows.length > 0;
}

/** Inside a transaction: keeps the client from being deleted until commit (a subscription is being added to it). */
export async function holdClient(tx: DbOrTx, id: number): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM client WHERE id = ${id} FOR KEY SHARE`;
  return rows.length > 0;
}
