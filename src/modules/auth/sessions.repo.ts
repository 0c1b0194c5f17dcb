// The only place that reads and writes sessions. Rows are keyed by the SHA-256 of the
// cookie's token, so a copy of the table does not let anyone sign in.
import { Prisma } from "../../generated/prisma/client.js";
import { hotPathQuery, type Db, type DbOrTx } from "../../db/prisma.js";
import type { UserRole } from "../../shared/actor.js";

/** A session's user as the session check reads it. */
export interface SessionUser {
  userId: number;
  username: string;
  role: UserRole;
  resellerId: number | null;
}

export interface SessionWithUser extends SessionUser {
  lastSeenAt: Date;
  expiresAt: Date;
  disabled: boolean;
}

export async function insertSession(db: DbOrTx, tokenHash: string, userId: number, now: Date, expiresAt: Date): Promise<void> {
  await db.session.create({ data: { tokenHash, userId, createdAt: now, lastSeenAt: now, expiresAt } });
}

/**
 * One indexed lookup per request: the session and its user together. Named, so that each
 * connection parses it once and soon keeps one plan (planning it cost more than running it).
 */
export async function findSession(db: Db, tokenHash: string): Promise<SessionWithUser | undefined> {
  const rows = await hotPathQuery<SessionWithUser>(
    db,
    `SELECT s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt", u.id AS "userId", u.username,
       u.role::text AS role, u.reseller_id AS "resellerId", u.disabled
     FROM app_session s JOIN app_user u ON u.id = s.user_id
     WHERE s.token_hash = $1`,
    [tokenHash],
    "find-session",
  );
  return rows[0];
}

/**
 * SQL, a boolean: the session still stands at `now` for the same user, unchanged (name,
 * role, reseller) and not disabled, and last seen no earlier than `lastSeenAt` (it only
 * ever moves forward, touchSession, so the idle end reckoned from it holds). For a statement that
 * confirms the session it was read under, in its own snapshot (auth.service.ts sessionClaim).
 */
export function sessionStandsSql(tokenHash: string, user: SessionUser, now: Date, lastSeenAt: Date): Prisma.Sql {
  return Prisma.sql`EXISTS (SELECT 1 FROM app_session s JOIN app_user u ON u.id = s.user_id
    WHERE s.token_hash = ${tokenHash} AND s.expires_at > ${now} AND s.last_seen_at >= ${lastSeenAt}
      AND u.id = ${user.userId} AND u.username = ${user.username} AND u.role::text = ${user.role}
      AND u.reseller_id IS NOT DISTINCT FROM ${user.resellerId}::int AND NOT u.disabled)`;
}

/** Last seen only ever moves forward, even when two instances touch a session at once. */
export async function touchSession(db: DbOrTx, tokenHash: string, now: Date): Promise<void> {
  await db.$executeRaw`UPDATE app_session SET last_seen_at = greatest(last_seen_at, ${now}) WHERE token_hash = ${tokenHash}`;
}

export async function deleteSession(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash } });
}

export async function deleteUserSessions(db: DbOrTx, userId: number, exceptTokenHash?: string): Promise<void> {
  await db.session.deleteMany({ where: { userId, ...(exceptTokenHash ? { NOT: { tokenHash: exceptTokenHash } } : {}) } });
}

/** Sessions past their absolute end or idle too long. */
export async function deleteExpiredSessions(db: DbOrTx, now: Date, idleSince: Date): Promise<number> {
  const result = await db.session.deleteMany({ where: { OR: [{ expiresAt: { lt: now } }, { lastSeenAt: { lt: idleSince } }] } });
  return result.count;
}
