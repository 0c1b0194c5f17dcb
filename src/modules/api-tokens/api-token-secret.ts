// What an API token is: "didtok_" and 43 characters of base64url (32 random bytes). The
// prefix lets a secret scanner, or a person, recognise one in a log or a paste. Only the
// SHA-256 of a token is stored (api_token.token_hash); the token is shown once.
import { createHash, randomBytes } from "node:crypto";

const tokenPrefix = "didtok_";
const tokenPattern = /^didtok_[A-Za-z0-9_-]{43}$/;
/** Characters of a token kept in the clear, so that a list can tell tokens apart. */
const shownLength = tokenPrefix.length + 6;

export interface NewApiToken {
  /** The bearer token: shown to its creator once, then never again. */
  token: string;
  hash: string;
  /** Its first characters, for the list ("didtok_Ab3x9Q…"). */
  prefix: string;
}

export function newApiToken(): NewApiToken {
  const token = tokenPrefix + randomBytes(32).toString("base64url");
  return { token, hash: apiTokenHash(token), prefix: token.slice(0, shownLength) };
}

export function apiTokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** True when `token` has a token's shape: anything else is refused without a query. */
export function isWellFormedApiToken(token: string): boolean {
  return tokenPattern.test(token);
}
