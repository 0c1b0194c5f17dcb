// The Users page's forms (and `user:create`'s arguments), read into typed commands. What
// needs the database (a reseller that exists, a username taken, the last admin) is the
// service's to check.
import { userRoles, type UserRole } from "../../shared/actor.js";
import type { Parsed } from "../../shared/commands.js";
import { FieldReader } from "../../shared/field-errors.js";
import { passwordProblem } from "../auth/passwords.js";
import { usernamePattern } from "./usernames.js";

export interface RoleAndReseller {
  role: UserRole;
  /** Null for an admin (who sees everything) and for a support user of all resellers. */
  resellerId: number | null;
}

export interface NewUserFields extends RoleAndReseller {
  username: string;
}

export interface CreateUserCommand extends NewUserFields {
  password: string;
}

export interface UpdateUserCommand extends RoleAndReseller {
  disabled: boolean;
}

export interface ResetPasswordCommand {
  password: string;
}

/** A form as typed, to show it again with its errors. */
export interface UserForm {
  username?: string;
  role?: UserRole;
  resellerId?: number | null;
  disabled?: boolean;
}

/** Role and reseller: a reseller user needs one; an admin has none. */
function readRoleAndReseller(r: FieldReader): Partial<RoleAndReseller> {
  const role = r.oneOf("role", "role", userRoles);
  const resellerId = r.id("reseller", "a reseller", { required: role === "reseller" }) ?? null;
  return { role, resellerId: role === "admin" ? null : resellerId };
}

function readNewUserFields(r: FieldReader): UserForm {
  const username = r.text("username", "Username", 64, { required: true });
  if (username && !usernamePattern.test(username)) r.fail("username", "Use 3 to 64 letters, digits, dots, dashes, underscores or @.");
  return { username, ...readRoleAndReseller(r) };
}

function complete(form: UserForm): NewUserFields | undefined {
  const { username, role, resellerId } = form;
  return username !== undefined && role !== undefined && resellerId !== undefined ? { username, role, resellerId } : undefined;
}

/** Username, role and reseller of a new user (`user:create` asks for the password after). */
export function parseNewUserFields(values: { username: string; role: string; reseller: string }): Parsed<NewUserFields, UserForm> {
  const r = new FieldReader(values);
  const form = readNewUserFields(r);
  const fields = complete(form);
  return fields && r.ok ? { ok: true, command: fields } : { ok: false, form, errors: r.errors };
}

export function parseCreateUserForm(body: Record<string, unknown>): Parsed<CreateUserCommand, UserForm> {
  const r = new FieldReader(body);
  const form = readNewUserFields(r);
  const password = r.raw("password");
  const problem = passwordProblem(password, form.username);
  if (problem) r.fail("password", problem);
  const fields = complete(form);
  return fields && password !== undefined && r.ok ? { ok: true, command: { ...fields, password } } : { ok: false, form, errors: r.errors };
}

export function parseUpdateUserForm(body: Record<string, unknown>): Parsed<UpdateUserCommand, UserForm> {
  const r = new FieldReader(body);
  const { role, resellerId } = readRoleAndReseller(r);
  const disabled = r.checkbox("disabled");
  if (role === undefined || resellerId === undefined || !r.ok) return { ok: false, form: { role, resellerId, disabled }, errors: r.errors };
  return { ok: true, command: { role, resellerId, disabled } };
}

/** The new password's rules need the username, which the service knows: it checks them. */
export function parseResetPasswordForm(body: Record<string, unknown>): Parsed<ResetPasswordCommand, Record<string, never>> {
  const r = new FieldReader(body);
  const password = r.raw("password") ?? "";
  return r.ok ? { ok: true, command: { password } } : { ok: false, form: {}, errors: r.errors };
}
