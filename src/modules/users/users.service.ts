// Managing users (admins only): create, change role and reseller, disable, reset password.
// Disabling a user or resetting their password ends their sessions at once. Every change
// records its audit event in its own transaction.
import { randomUUID } from "node:crypto";
import type { Db, DbOrTx } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import { everything, systemCaller, userRoles, type Actor, type Caller, type UserRole } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { changedFields, recordAuditEvents, type AuditAction, type AuditEventInput, type FieldChanges } from "../audit/audit-log.js";
import { hashPassword, passwordProblem, randomPassword } from "../auth/passwords.js";
import { deleteUserSessions } from "../auth/sessions.repo.js";
import { findReseller, listResellerOptions } from "../resellers/resellers.repo.js";
import * as repo from "./users.repo.js";
import type { CreateUserCommand, NewUserFields, ResetPasswordCommand, UpdateUserCommand } from "./user-forms.js";
import { parseNewUserFields } from "./user-forms.js";

export async function userListPage(db: Db) {
  return { users: await repo.listUsers(db) };
}

export async function userFormOptions(db: Db) {
  return { resellers: await listResellerOptions(db, everything), roles: userRoles };
}

type UserFacts = { username: string; role: UserRole; resellerName: string | null; disabled?: boolean };

/** The fields of a user that its events show; the reseller by name, as a person reads it. */
function facts(user: UserFacts) {
  return { username: user.username, role: user.role, reseller: user.resellerName, disabled: user.disabled };
}

/** An event about a user: the user's reseller for scope, the username as label. */
function userEvent(action: AuditAction, user: { id: number; username: string; resellerId: number | null }, changes?: FieldChanges): AuditEventInput {
  return { action, objectType: "user", objectId: user.id, resellerId: user.resellerId, label: user.username, changes };
}

/** The reseller of a role-and-reseller choice, when it exists; undefined when it does not. */
async function chosenReseller(db: DbOrTx, resellerId: number | null): Promise<{ name: string | null } | undefined> {
  if (resellerId === null) return { name: null };
  const reseller = await findReseller(db, everything, resellerId);
  return reseller ? { name: reseller.name } : undefined;
}

const resellerMissing = "That reseller does not exist.";
const taken = (username: string) => `The username “${username}” is taken.`;

/** What the database says against a new user's username, role and reseller. */
export async function newUserProblems(db: DbOrTx, fields: NewUserFields): Promise<FieldErrors> {
  const errors: FieldErrors = {};
  if (!(await chosenReseller(db, fields.resellerId))) errors.reseller = resellerMissing;
  if (await repo.usernameTaken(db, fields.username)) errors.username = taken(fields.username);
  return errors;
}

export type CreateUserOutcome = { kind: "created"; id: number; username: string } | { kind: "invalid"; errors: FieldErrors };

/** The one way users are made: the Users page, `user:create` and the first admin. */
export async function createUser(db: Db, caller: Caller, command: CreateUserCommand): Promise<CreateUserOutcome> {
  const { username, role, resellerId, password } = command;
  const errors = await newUserProblems(db, command);
  if (Object.keys(errors).length > 0) return { kind: "invalid", errors };
  const passwordHash = await hashPassword(password);
  try {
    const user = await db.$transaction(async (tx) => {
      const created = await repo.createUser(tx, { username, passwordHash, role, resellerId });
      const after = facts({ username, role, resellerName: created.reseller?.name ?? null });
      await recordAuditEvents(tx, caller, [userEvent("create", created, changedFields(null, after, ["username", "role", "reseller"]))]);
      return created;
    });
    return { kind: "created", id: user.id, username };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { kind: "invalid", errors: { username: taken(username) } };
  }
}

export async function editUserPage(db: Db, id: number) {
  const user = await repo.findUser(db, id);
  return user ? { user, ...(await userFormOptions(db)) } : undefined;
}

export type UpdateUserOutcome = { kind: "saved"; username: string } | { kind: "not-found" } | { kind: "invalid"; errors: FieldErrors };

/** Role, reseller and disabled. A changed role is a role_change event, anything else an edit. */
export async function updateUser(db: Db, caller: Actor & Caller, id: number, command: UpdateUserCommand): Promise<UpdateUserOutcome> {
  const { role, resellerId, disabled } = command;
  const reseller = await chosenReseller(db, resellerId);
  return db.$transaction(async (tx): Promise<UpdateUserOutcome> => {
    await repo.lockUser(tx, id);
    const user = await repo.findUser(tx, id);
    if (!user) return { kind: "not-found" };
    const errors: FieldErrors = {};
    if (!reseller) errors.reseller = resellerMissing;
    const losesAdmin = user.role === "admin" && !user.disabled && (role !== "admin" || disabled);
    const field = disabled ? "disabled" : "role";
    if (losesAdmin && id === caller.userId) errors[field] = "You cannot take away your own admin access. Ask another admin.";
    else if (losesAdmin && (await repo.lockActiveAdmins(tx)) <= 1) errors[field] = "This is the last active admin: keep it, or make another admin first.";
    if (!reseller || Object.keys(errors).length > 0) return { kind: "invalid", errors };
    await repo.updateUser(tx, id, { role, resellerId, disabled });
    // A disabled user is signed out everywhere now, not at their next idle timeout.
    if (disabled) await deleteUserSessions(tx, id);
    const before = facts({ ...user, resellerName: user.reseller?.name ?? null });
    const after = facts({ username: user.username, role, resellerName: reseller.name, disabled });
    const changes = changedFields(before, after, ["role", "reseller", "disabled"]);
    // Saving the form unchanged changes nothing, so it records nothing.
    if (Object.keys(changes).length > 0) {
      await recordAuditEvents(tx, caller, [userEvent(role !== user.role ? "role_change" : "edit", { id, username: user.username, resellerId }, changes)]);
    }
    return { kind: "saved", username: user.username };
  });
}

export type ResetPasswordOutcome = { kind: "reset"; username: string } | { kind: "not-found" } | { kind: "invalid"; errors: FieldErrors };

/**
 * An admin sets a user's password, which signs them out everywhere. The event has no
 * changes: the action says what happened, and no password or hash is ever recorded.
 */
export async function resetPassword(db: Db, caller: Caller, id: number, command: ResetPasswordCommand): Promise<ResetPasswordOutcome> {
  const user = await repo.findUser(db, id);
  if (!user) return { kind: "not-found" };
  const problem = passwordProblem(command.password, user.username);
  if (problem) return { kind: "invalid", errors: { password: problem } };
  const passwordHash = await hashPassword(command.password);
  return db.$transaction(async (tx): Promise<ResetPasswordOutcome> => {
    // Deleted while the hash was computed: setPasswordHash would throw.
    if (!(await repo.findUser(tx, id))) return { kind: "not-found" };
    await repo.setPasswordHash(tx, id, passwordHash);
    await deleteUserSessions(tx, id);
    await recordAuditEvents(tx, caller, [userEvent("password_reset", user)]);
    return { kind: "reset", username: user.username };
  });
}

/**
 * First run: with no user at all, create "admin" with a random password to print once.
 * Its create event is written by the system caller: nobody is signed in yet.
 */
export async function ensureFirstAdmin(db: Db): Promise<{ username: string; password: string } | undefined> {
  if ((await repo.countUsers(db)) > 0) return undefined;
  const password = randomPassword();
  const outcome = await createUser(db, systemCaller(randomUUID()), { username: "admin", password, role: "admin", resellerId: null });
  // Taken: another instance created it at the same moment, and that one prints the password.
  return outcome.kind === "created" ? { username: "admin", password } : undefined;
}

/**
 * For `npm run user:create`: the same rules and the same createUser as the Users page.
 * Everything but the password is checked before `askPassword` is called, so nobody types
 * a password twice only to learn that the reseller was misspelt.
 */
export async function createUserFromShell(
  db: Db,
  caller: Caller,
  input: { username: string; role: string; reseller?: string },
  askPassword: () => Promise<string>,
): Promise<CreateUserOutcome> {
  let resellerId = "";
  if (input.reseller !== undefined) {
    const wanted = input.reseller.trim().toLowerCase();
    const resellers = await listResellerOptions(db, everything);
    const found = resellers.find((r) => r.name.toLowerCase() === wanted || String(r.id) === wanted);
    if (!found) {
      const known = resellers.length > 0 ? ` Resellers: ${resellers.map((r) => `"${r.name}"`).join(", ")}.` : " There are no resellers yet.";
      return { kind: "invalid", errors: { reseller: `There is no reseller "${input.reseller}".${known}` } };
    }
    resellerId = String(found.id);
  }
  const parsed = parseNewUserFields({ username: input.username, role: input.role, reseller: resellerId });
  if (!parsed.ok) return { kind: "invalid", errors: parsed.errors };
  const errors = await newUserProblems(db, parsed.command);
  if (Object.keys(errors).length > 0) return { kind: "invalid", errors };
  const password = await askPassword();
  const problem = passwordProblem(password, parsed.command.username);
  if (problem) return { kind: "invalid", errors: { password: problem } };
  return createUser(db, caller, { ...parsed.command, password });
}
