// Password hashing with argon2id (@node-rs/argon2: a prebuilt binary from the npm registry,
// no build step). The parameters are the library's defaults, which follow OWASP's advice.
import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";

export const passwordMinLength = 10;
export const passwordMaxLength = 200;

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// An unknown username is checked against this hash, so that it takes as long as a wrong
// password for a real user and timing does not tell which usernames exist.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hash(randomBytes(16).toString("hex"));
  await verifyPassword(await dummyHash, password);
}

export function randomPassword(): string {
  return randomBytes(15).toString("base64url");
}

/** Why a new password is not acceptable, or undefined. */
export function passwordProblem(password: string | undefined, username?: string): string | undefined {
  if (!password) return "Enter a password.";
  if ([...password].length < passwordMinLength) return `Use at least ${passwordMinLength} characters.`;
  if ([...password].length > passwordMaxLength) return `Use at most ${passwordMaxLength} characters.`;
  if (username && password.toLowerCase().includes(username.toLowerCase())) return "The password must not contain the username.";
  return undefined;
}
