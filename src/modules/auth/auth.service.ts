// Signing in and out, sessions, and changing one's own password. Sessions are rows in
// PostgreSQL (they survive restarts and serve several app instances) with an idle and an
// absolute end; signing out, a password change or disabling a user removes them at once.
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../../db/prisma.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { actorFor, type Actor, type Caller } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { recordAuditEvents } from "../audit/audit-log.js";
import * as users from "../users/users.repo.js";
import type { ChangePasswordCommand, SignInCommand } from "./auth-forms.js";
import { burnPasswordCheck, hashPassword, passwordMaxLength, passwordProblem, verifyPassword } from "./passwords.js";
import * as sessions from "./sessions.repo.js";

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

/** A new session token for the cookie; only its hash is stored. */
function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

// Writing lastSeenAt on every request would turn every page view into a write.
const touchEveryMs = 60_000;

export type SignInOutcome =
  | { kind: "signed-in"; token: string; actor: Actor }
  | { kind: "refused"; reason: "invalid" | "disabled"; message: string };

/** Where a sign-in comes from: its request, for the audit event, and the client's address. */
export interface SignInContext {
  requestId: string;
  /** The client IP as Fastify reports it (from X-Forwarded-For only under TRUST_PROXY). */
  ip: string;
}

const wrongCredentials = "Wrong username or password.";

/**
 * The label of an attempt with a name that matches no user. What was typed is not kept:
 * a name field often holds a password typed in the wrong box (the request log leaves it
 * out for the same reason), and the audit log is read by more people than the server.
 */
function attemptLabel(typed: string): string {
  return typed.trim() === "" ? "(no username)" : "(unknown username)";
}

/**
 * Every attempt that reaches the password check is recorded: sign_in by the user, or
 * sign_in_failed with no actor (nobody is signed in), the user as object when the name
 * exists. The changes carry the client address and why it failed.
 */
export async function signIn(db: Db, command: SignInCommand, context: SignInContext, policy: SessionPolicy, now = new Date()): Promise<SignInOutcome> {
  const { username, password } = command;
  const ip: [null, string] = [null, context.ip];
  const anonymous: Caller = { requestId: context.requestId, userId: null, username: null };
  // Only names that could exist are looked up (ASCII, so case-folding is the same in
  // JavaScript and PostgreSQL); the rest still cost a password check.
  const user = username ? await users.findUserForSignIn(db, username) : undefined;
  const passwordRight = user && password && password.length <= passwordMaxLength * 4 ? await verifyPassword(user.passwordHash, password) : undefined;
  if (passwordRight === undefined) {
    // Still spend the time of a check: an unknown name or an empty field is no shortcut for timing.
    await burnPasswordCheck(password.slice(0, passwordMaxLength));
  }
  if (!user) {
    await recordAuditEvents(db, anonymous, [
      { action: "sign_in_failed", objectType: "user", objectId: null, resellerId: null, label: attemptLabel(command.typed), changes: { ip, reason: [null, "unknown username"] } },
    ]);
    return { kind: "refused", reason: "invalid", message: wrongCredentials };
  }
  const failed = (reason: string) =>
    recordAuditEvents(db, anonymous, [{ action: "sign_in_failed", objectType: "user", objectId: user.id, resellerId: user.resellerId, label: user.username, changes: { ip, reason: [null, reason] } }]);
  if (!passwordRight) {
    await failed("wrong password");
    return { kind: "refused", reason: "invalid", message: wrongCredentials };
  }
  // Said only to someone who knows the password, so it reveals nothing to a guesser.
  if (user.disabled) {
    await failed("disabled");
    return { kind: "refused", reason: "disabled", message: "This account is disabled. Ask an administrator." };
  }
  const token = newToken();
  await db.$transaction(async (tx) => {
    await sessions.insertSession(tx, tokenHash(token), user.id, now, new Date(now.getTime() + policy.absoluteHours * 3_600_000));
    await users.noteSignIn(tx, user.id, now);
    await recordAuditEvents(tx, { requestId: context.requestId, userId: user.id, username: user.username }, [
      { action: "sign_in", objectType: "user", objectId: user.id, resellerId: user.resellerId, label: user.username, changes: { ip } },
    ]);
  });
  return { kind: "signed-in", token, actor: actorFor(user) };
}

/** A session as a full check (resolveSession) found it valid. */
export interface CheckedSession {
  actor: Actor;
  user: sessions.SessionUser;
  /** Last seen as written in the session's row, after this check's own touch if it made one. */
  lastSeenAt: Date;
  expiresAt: Date;
}

/** The session of a token (`hash`: tokenHash of it), or undefined when it is unknown, expired or its user disabled. */
export async function resolveSession(db: Db, hash: string, policy: SessionPolicy, now = new Date()): Promise<CheckedSession | undefined> {
  const session = await sessions.findSession(db, hash);
  if (!session) return undefined;
  const idleEnd = session.lastSeenAt.getTime() + policy.idleMinutes * 60_000;
  if (session.disabled || now >= session.expiresAt || now.getTime() >= idleEnd) {
    await sessions.deleteSession(db, hash);
    return undefined;
  }
  let lastSeenAt = session.lastSeenAt;
  if (now.getTime() - lastSeenAt.getTime() > touchEveryMs) {
    await sessions.touchSession(db, hash, now);
    lastSeenAt = now;
  }
  const user = { userId: session.userId, username: session.username, role: session.role, resellerId: session.resellerId };
  return { actor: actorFor({ id: user.userId, ...user }), user, lastSeenAt, expiresAt: session.expiresAt };
}

/**
 * What a request may take on trust from an earlier full check of its session (`hash`: of
 * its token), provided the statement that reads its page confirms it in the same snapshot
 * (the SQL returned: a boolean, false when the session ended or its user changed since).
 * That saves the request its own round trip to PostgreSQL for the check. Undefined when a
 * full check is due anyway: the session's last-seen time needs writing (once a minute),
 * or it is past an end by this process's clock.
 */
export function sessionClaim(hash: string, checked: CheckedSession, policy: SessionPolicy, now = new Date()): Prisma.Sql | undefined {
  const t = now.getTime();
  const lastSeen = checked.lastSeenAt.getTime();
  if (t - lastSeen > touchEveryMs || t >= checked.expiresAt.getTime() || t >= lastSeen + policy.idleMinutes * 60_000) return undefined;
  return sessions.sessionStandsSql(hash, checked.user, now, checked.lastSeenAt);
}

/** Ends the session whose token hashes to `hash` (tokenHash). */
export async function signOut(db: Db, hash: string): Promise<void> {
  await sessions.deleteSession(db, hash);
}

export async function purgeExpiredSessions(db: Db, policy: SessionPolicy, now = new Date()): Promise<number> {
  return sessions.deleteExpiredSessions(db, now, new Date(now.getTime() - policy.idleMinutes * 60_000));
}

/** `currentPasswordRight`: the form failed for another reason, so it was no guess. */
export type ChangePasswordOutcome = { kind: "changed" } | { kind: "invalid"; errors: FieldErrors; currentPasswordRight: boolean };

/**
 * Changing one's password ends one's other sessions (a stolen session dies with it). Its
 * password_change event has no changes: no password or hash is ever recorded. `sessionHash`:
 * tokenHash of the caller's own session token, the one session kept.
 */
export async function changeOwnPassword(db: Db, caller: Actor & Caller, sessionHash: string, command: ChangePasswordCommand): Promise<ChangePasswordOutcome> {
  const { current, password, repeat } = command;
  const errors: FieldErrors = {};
  const storedHash = await users.findPasswordHash(db, caller.userId);
  const currentPasswordRight = Boolean(storedHash && current && (await verifyPassword(storedHash, current)));
  if (!currentPasswordRight) errors.current = "This is not your current password.";
  const problem = passwordProblem(password, caller.username);
  if (problem) errors.password = problem;
  else if (password !== repeat) errors.repeat = "The two new passwords differ.";
  if (Object.keys(errors).length > 0) return { kind: "invalid", errors, currentPasswordRight };
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    const user = await users.findUser(tx, caller.userId);
    await users.setPasswordHash(tx, caller.userId, passwordHash);
    await sessions.deleteUserSessions(tx, caller.userId, sessionHash);
    await recordAuditEvents(tx, caller, [
      { action: "password_change", objectType: "user", objectId: caller.userId, resellerId: user?.resellerId ?? null, label: caller.username },
    ]);
  });
  return { kind: "changed" };
}
