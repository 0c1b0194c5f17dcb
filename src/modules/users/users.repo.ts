// The only place that reads and writes users.
import type { DbOrTx } from "../../db/prisma.js";
import type { UserRole } from "../../shared/actor.js";

const publicColumns = {
  id: true,
  username: true,
  role: true,
  resellerId: true,
  disabled: true,
  lastSignInAt: true,
  createdAt: true,
  reseller: { select: { id: true, name: true } },
} as const;

export async function findUserForSignIn(db: DbOrTx, username: string) {
  const rows = await db.$queryRaw<{ id: number; username: string; passwordHash: string; role: UserRole; resellerId: number | null; disabled: boolean }[]>`
    SELECT id, username, password_hash AS "passwordHash", role::text AS role, reseller_id AS "resellerId", disabled
    FROM app_user WHERE lower(username) = lower(${username})`;
  return rows[0];
}

/** The id of the user with this name (any letter case), if there is one. */
export async function findUserIdByUsername(db: DbOrTx, username: string): Promise<number | undefined> {
  const rows = await db.$queryRaw<{ id: number }[]>`SELECT id FROM app_user WHERE lower(username) = lower(${username})`;
  return rows[0]?.id;
}

export async function findUser(db: DbOrTx, id: number) {
  return (await db.user.findUnique({ where: { id }, select: publicColumns })) ?? undefined;
}

/**
 * Inside a transaction: locks the user's row until commit, so that two admins saving the
 * same user at once run one after the other and each event's old values are the real ones.
 * The active admins are locked with it, in id order, as lockActiveAdmins would later: two
 * saves of different users then cannot each hold what the other waits for.
 */
export async function lockUser(tx: DbOrTx, id: number): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM app_user WHERE id = ${id} OR (role = 'admin' AND NOT disabled) ORDER BY id FOR UPDATE`;
}

export async function findPasswordHash(db: DbOrTx, id: number): Promise<string | undefined> {
  return (await db.user.findUnique({ where: { id }, select: { passwordHash: true } }))?.passwordHash;
}

export async function listUsers(db: DbOrTx) {
  return db.user.findMany({ select: publicColumns, orderBy: [{ disabled: "asc" }, { username: "asc" }] });
}

export async function countUsers(db: DbOrTx): Promise<number> {
  return db.user.count();
}

/**
 * Inside a transaction: locks the active admins' rows and counts them, so that two admins
 * demoting each other at once cannot both pass the "one admin remains" check.
 */
export async function lockActiveAdmins(tx: DbOrTx): Promise<number> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT id FROM app_user WHERE role = 'admin' AND NOT disabled FOR UPDATE`;
  return rows.length;
}

export async function usernameTaken(db: DbOrTx, username: string, exceptId?: number): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: number }[]>`SELECT id FROM app_user WHERE lower(username) = lower(${username})`;
  return rows.some((r) => r.id !== exceptId);
}

export interface NewUser {
  username: string;
  passwordHash: string;
  role: UserRole;
  resellerId: number | null;
}

export async function createUser(db: DbOrTx, user: NewUser) {
  return db.user.create({ data: user, select: publicColumns });
}

export async function updateUser(db: DbOrTx, id: number, changes: { role?: UserRole; resellerId?: number | null; disabled?: boolean }) {
  await db.user.update({ where: { id }, data: changes });
}

export async function setPasswordHash(db: DbOrTx, id: number, passwordHash: string): Promise<void> {
  await db.user.update({ where: { id }, data: { passwordHash, passwordChangedAt: new Date() } });
}

export async function noteSignIn(db: DbOrTx, id: number, at: Date): Promise<void> {
  await db.user.update({ where: { id }, data: { lastSignInAt: at } });
}
