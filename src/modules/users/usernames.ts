// What a username may be, and its one normalised form (for lookups and rate-limit keys).

/** ASCII only, so that the database's lower() and JavaScript agree on letter case. */
export const usernamePattern = /^[A-Za-z0-9._@-]{3,64}$/;

/** The canonical form of a username as typed, or undefined when it cannot be one. */
export function normalizeUsername(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  const trimmed = raw.trim();
  return usernamePattern.test(trimmed) ? trimmed.toLowerCase() : undefined;
}
