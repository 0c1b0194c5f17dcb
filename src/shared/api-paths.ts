// The JSON API lives under /api/: no session cookie is read or set there, no CSRF token is
// asked for, and errors are JSON. The page plugins (auth, CSRF, flash) step aside for it.
export const apiPrefix = "/api";

export function isApiUrl(url: string): boolean {
  return url.startsWith("/api/") || url === apiPrefix;
}
