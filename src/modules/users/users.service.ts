// Managing users (admins only): create, change role and reseller, disable, reset password.
// Disabling a user or resetting their password ends their sessions at once.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import { everything, userRoles, type Actor, type UserRole } from "../../shared/actor.js";
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import { hashPassword, passwordProblem, randomPassword } from "../auth/passwords.js";
import { deleteUserSessions } from "../auth/sessions.repo.js";
import { findReseller, listResellerOptions } from "../resellers/resellers.repo.js";
import * as repo from "./users.repo.js";
import { usernamePattern } from "./usernames.js";


export async function userListPage(db: Db) {
  return { users: await repo.listUsers(db) };
}

export async function userFormOptions(db: Db) {
  return { resellers: await listResellerOptions(db, everything), roles: userRoles };
}

interface RoleAndReseller {
  role?: UserRole;
  resellerId?: number | null;
}

/** Role and reseller from a form: a reseller user needs one; an admin has none. */
async function readRoleAndReseller(db: Db, r: FieldReader): Promise<RoleAndReseller> {
  const role = r.oneOf("role", "role", userRoles);
  let resellerId: number | null | undefined = r.id("reseller", "a reseller", { required: role === "reseller" }) ?? null;
  if (resellerId !== null && !r.errors.reseller && !(await findReseller(db, everything, resellerId))) r.fail("reseller", "That reseller does not exist.");
  if (role === "admin") resellerId = null;
  return { role, resellerId };
}

export interface UserForm extends RoleAndReseller {
  username?: string;
}

export type CreateUserResult = { ok: true; username: string } | { ok: false; form: UserForm; errors: FieldErrors };

/** Username, role and reseller of a new user, checked (the password is checked apart). */
async function readNewUser(db: Db, r: FieldReader): Promise<UserForm> {
  const username = r.text("username", "Username", 64, { required: true });
  if (username && !usernamePattern.test(username)) r.fail("username", "Use 3 to 64 letters, digits, dots, dashes, underscores or @.");
  const roleAndReseller = await readRoleAndReseller(db, r);
  if (username && !r.errors.username && (await repo.usernameTaken(db, username))) r.fail("username", `The username “${username}” is taken.`);
  return { username, ...roleAndReseller };
}

export async function createUser(db: Db, body: Record<string, unknown>): Promise<CreateUserResult> {
  const r = new FieldReader(body);
  return insertNewUser(db, r, await readNewUser(db, r), r.raw("password"));
}

/** Checks the password, then creates the user read by readNewUser unless `r` holds errors. */
async function insertNewUser(db: Db, r: FieldReader, form: UserForm, password: string | undefined): Promise<CreateUserResult> {
  const problem = passwordProblem(password, form.username);
  if (problem) r.fail("password", problem);
  if (!r.ok) return { ok: false, form, errors: r.errors };
  const { username } = form;
  try {
    await repo.createUser(db, { username: username!, passwordHash: await hashPassword(password!), role: form.role!, resellerId: form.resellerId ?? null });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { ok: false, form, errors: { username: `The username “${username}” is taken.` } };
  }
  return { ok: true, username: username! };
}

export async function editUserPage(db: Db, id: number) {
  const user = await repo.findUser(db, id);
  return user ? { user, ...(await userFormOptions(db)) } : undefined;
}

export type UpdateUserResult = { ok: true; username: string } | { ok: false; status: 404 } | { ok: false; status: 422; form: UserForm & { disabled: boolean }; errors: FieldErrors };

export async function updateUser(db: Db, actor: Actor, id: number, body: Record<string, unknown>): Promise<UpdateUserResult> {
  const r = new FieldReader(body);
  const roleAndReseller = await readRoleAndReseller(db, r);
  const disabled = r.checkbox("disabled");
  return db.$transaction(async (tx) => {
    const user = await repo.findUser(tx, id);
    if (!user) return { ok: false as const, status: 404 as const };
    const form = { username: user.username, ...roleAndReseller, disabled };
    const losesAdmin = user.role === "admin" && !user.disabled && (roleAndReseller.role !== "admin" || disabled);
    if (losesAdmin && id === actor.userId) r.fail(disabled ? "disabled" : "role", "You cannot take away your own admin access. Ask another admin.");
    else if (losesAdmin && (await repo.lockActiveAdmins(tx)) <= 1) r.fail(disabled ? "disabled" : "role", "This is the last active admin: keep it, or make another admin first.");
    if (!r.ok) return { ok: false as const, status: 422 as const, form, errors: r.errors };
    await repo.updateUser(tx, id, { role: roleAndReseller.role!, resellerId: roleAndReseller.resellerId ?? null, disabled });
    // A disabled user is signed out everywhere now, not at their next idle timeout.
    if (disabled) await deleteUserSessions(tx, id);
    return { ok: true as const, username: user.username };
  });
}

export type ResetPasswordResult = { ok: true; username: string } | { ok: false; status: 404 } | { ok: false; status: 422; errors: FieldErrors };

export async function resetPassword(db: Db, id: number, body: Record<string, unknown>): Promise<ResetPasswordResult> {
  const r = new FieldReader(body);
  const password = r.raw("password");
  const user = await repo.findUser(db, id);
  if (!user) return { ok: false, status: 404 };
  const problem = passwordProblem(password, user.username);
  if (problem) return { ok: false, status: 422, errors: { password: problem } };
  const passwordHash = await hashPassword(password!);
  await db.$transaction(async (tx) => {
    await repo.setPasswordHash(tx, id, passwordHash);
    await deleteUserSessions(tx, id);
  });
  return { ok: true, username: user.username };
}

/** First run: with no user at all, create "admin" with a random password to print once. */
export async function ensureFirstAdmin(db: Db): Promise<{ username: string; password: string } | undefined> {
  if ((await repo.countUsers(db)) > 0) return undefined;
  const password = randomPassword();
  try {
    await repo.createUser(db, { username: "admin", passwordHash: await hashPassword(password), role: "admin", resellerId: null });
  } catch (error) {
    // Another instance created it at the same moment: that one prints the password.
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
  return { username: "admin", password };
}

/**
 * For `npm run user:create`: the same rules as the Users page. Everything but the password
 * is checked before `askPassword` is called, so nobody types a password twice only to
 * learn that the reseller was misspelt.
 */
export async function createUserFromShell(
  db: Db,
  input: { username: string; role: string; reseller?: string },
  askPassword: () => Promise<string>,
): Promise<CreateUserResult> {
  let resellerId = "";
  if (input.reseller !== undefined) {
    const wanted = input.reseller.trim().toLowerCase();
    const resellers = await listResellerOptions(db, everything);
    const found = resellers.find((r) => r.name.toLowerCase() === wanted || String(r.id) === wanted);
    if (!found) {
      const known = resellers.length > 0 ? ` Resellers: ${resellers.map((r) => `"${r.name}"`).join(", ")}.` : " There are no resellers yet.";
      return { ok: false, form: { username: input.username }, errors: { reseller: `There is no reseller "${input.reseller}".${known}` } };
    }
    resellerId = String(found.id);
  }
  const r = new FieldReader({ username: input.username, role: input.role, reseller: resellerId });
  const form = await readNewUser(db, r);
  if (!r.ok) return { ok: false, form, errors: r.errors };
  return insertNewUser(db, r, form, await askPassword());
}
