// The sign-in and change-password forms, read into typed commands.
import type { Parsed } from "../../shared/commands.js";
import { FieldReader } from "../../shared/field-errors.js";
import { normalizeUsername } from "../users/usernames.js";

export interface SignInCommand {
  /** The username as typed (at most 64 characters): shown again, and the label of a failed attempt. */
  typed: string;
  /** Its canonical form, or undefined when it cannot be a username (nobody is looked up then). */
  username: string | undefined;
  password: string;
}

/**
 * Never fails: whatever arrives is an attempt that the service refuses with the same words
 * as a wrong password (a field given twice, say), and that the throttle counts.
 */
export function parseSignInForm(body: Record<string, unknown>): SignInCommand {
  const r = new FieldReader(body);
  const raw = r.raw("username");
  return { typed: (raw ?? "").slice(0, 64), username: normalizeUsername(raw), password: r.raw("password") ?? "" };
}

export interface ChangePasswordCommand {
  current: string;
  password: string;
  repeat: string;
}

/** The new password's rules need the username, which the service knows: it checks them. */
export function parseChangePasswordForm(body: Record<string, unknown>): Parsed<ChangePasswordCommand, Record<string, never>> {
  const r = new FieldReader(body);
  const command = { current: r.raw("current") ?? "", password: r.raw("password") ?? "", repeat: r.raw("repeat") ?? "" };
  return r.ok ? { ok: true, command } : { ok: false, form: {}, errors: r.errors };
}
