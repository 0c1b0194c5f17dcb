// Signing in and out, sessions, and changing one's own password. Sessions are rows in
// PostgreSQL (they survive restarts and serve several app instances) with an idle and an
// absolute end; signing out, a password change or disabling a user removes them at once.
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../../db/prisma.js";
import { actorFor, type Actor } from "../../shared/actor.js";
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import * as users from "../users/users.repo.js";
import { normalizeUsername } from "../users/usernames.js";
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

export type SignInResult =
  | { ok: true; token: string; actor: Actor }
  | { ok: false; reason: "invalid" | "disabled"; errors: FieldErrors; username: string };

const wrongCredentials = "Wrong username or password.";

export async function signIn(db: Db, body: Record<string, unknown>, policy: SessionPolicy, now = new Date()): Promise<SignInResult> {
  const r = new FieldReader(body);
  const typed = r.raw("username");
  const username = typeof typed === "string" ? typed.trim().slice(0, 64) : "";
  const normalized = normalizeUsername(typed);
  const password = r.raw("password") ?? "";
  // Only names that could exist are looked up (ASCII, so case-folding is the same in
  // JavaScript and PostgreSQL); the rest still cost a password check.
  if (!normalized || !password || password.length > passwordMaxLength * 4) {
    // Still spend the time of a check: an empty field is no shortcut for timing.
    await burnPasswordCheck(password.slice(0, passwordMaxLength));
    return { ok: false, reason: "invalid", errors: { form: wrongCredentials }, username };
  }
  const user = await users.findUserForSignIn(db, normalized);
  if (!user) {
    await burnPasswordCheck(password);
    return { ok: false, reason: "invalid", errors: { form: wrongCredentials }, username };
  }
  if (!(await verifyPassword(user.passwordHash, password))) return { ok: false, reason: "invalid", errors: { form: wrongCredentials }, username };
  // Said only to someone who knows the password, so it reveals nothing to a guesser.
  if (user.disabled) return { ok: false, reason: "disabled", errors: { form: "This account is disabled. Ask an administrator." }, username };
  const token = newToken();
  await sessions.insertSession(db, tokenHash(token), user.id, now, new Date(now.getTime() + policy.absoluteHours * 3_600_000));
  await users.noteSignIn(db, user.id, now);
  return { ok: true, token, actor: actorFor(user) };
}

/** The actor of a session token, or undefined when it is unknown, expired or disabled. */
export async function resolveSession(db: Db, token: string, policy: SessionPolicy, now = new Date()): Promise<Actor | undefined> {
  const hash = tokenHash(token);
  const session = await sessions.findSession(db, hash);
  if (!session) return undefined;
  const idleEnd = session.lastSeenAt.getTime() + policy.idleMinutes * 60_000;
  if (session.disabled || now >= session.expiresAt || now.getTime() >= idleEnd) {
    await sessions.deleteSession(db, hash);
    return undefined;
  }
  if (now.getTime() - session.lastSeenAt.getTime() > touchEveryMs) await sessions.touchSession(db, hash, now);
  return actorFor({ id: session.userId, username: session.username, role: session.role, resellerId: session.resellerId });
}

export async function signOut(db: Db, token: string): Promise<void> {
  await sessions.deleteSession(db, tokenHash(token));
}

export async function purgeExpiredSessions(db: Db, policy: SessionPolicy, now = new Date()): Promise<number> {
  return sessions.deleteExpiredSessions(db, now, new Date(now.getTime() - policy.idleMinutes * 60_000));
}

/** `currentPasswordRight`: the form failed for another reason, so it was no guess. */
export type ChangePasswordResult = { ok: true } | { ok: false; errors: FieldErrors; currentPasswordRight: boolean };

/** Changing one's password ends one's other sessions (a stolen session dies with it). */
export async function changeOwnPassword(db: Db, actor: Actor, token: string, body: Record<string, unknown>): Promise<ChangePasswordResult> {
  const r = new FieldReader(body);
  const current = r.raw("current") ?? "";
  const next = r.raw("password") ?? "";
  const repeat = r.raw("repeat") ?? "";
  const errors: FieldErrors = { ...r.errors };
  const storedHash = await users.findPasswordHash(db, actor.userId);
  const currentPasswordRight = Boolean(storedHash && current && (await verifyPassword(storedHash, current)));
  if (!currentPasswordRight) errors.current = "This is not your current password.";
  const problem = passwordProblem(next, actor.username);
  if (problem) errors.password = problem;
  else if (next !== repeat) errors.repeat = "The two new passwords differ.";
  if (Object.keys(errors).length > 0) return { ok: false, errors, currentPasswordRight };
  await db.$transaction(async (tx) => {
    await users.setPasswordHash(tx, actor.userId, await hashPassword(next));
    await sessions.deleteUserSessions(tx, actor.userId, tokenHash(token));
  });
  return { ok: true };
}
