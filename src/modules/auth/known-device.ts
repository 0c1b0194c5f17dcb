// A browser that has signed in as a user carries a signed "known device" cookie for that
// user (OWASP's device cookie). While a username is under a spread-out attack (its failure
// ceiling hit), such a browser still gets its password checked, so strangers guessing from
// many addresses cannot lock the real user out of their usual browser.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const knownDeviceCookie = "did_device";
export const knownDeviceDays = 180;

function signature(key: string, username: string, nonce: string): string {
  return createHmac("sha256", key).update(`${username}\n${nonce}`).digest("base64url");
}

/** The cookie value for a browser that has just signed in as `username` (normalised). */
export function knownDeviceToken(key: string, username: string): string {
  const nonce = randomBytes(16).toString("base64url");
  return `${nonce}.${signature(key, username, nonce)}`;
}

/** True when `token` was issued by us to a browser that signed in as `username`. */
export function isKnownDevice(key: string, username: string | undefined, token: string | undefined): boolean {
  if (!username || !token) return false;
  const [nonce, given, extra] = token.split(".");
  if (!nonce || !given || extra !== undefined) return false;
  const expected = Buffer.from(signature(key, username, nonce));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
