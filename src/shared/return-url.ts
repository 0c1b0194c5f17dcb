// Where to send the user back to after a form: a page of ours under an allowed path, never
// another site, and always a value that is safe in a Location or HX-Redirect header.

const base = "http://return.invalid";

/** `value` as a same-origin path+query under `path`, percent-encoded; otherwise `path`. */
export function safeReturnUrl(value: unknown, path: string): string {
  if (typeof value !== "string" || value.length > 2000 || !value.startsWith("/") || value.startsWith("//")) return path;
  try {
    const url = new URL(value, base);
    if (url.origin !== base || url.pathname !== path) return path;
    // URL() percent-encodes non-ASCII and control characters, so the result is header-safe.
    return url.pathname + url.search;
  } catch {
    return path;
  }
}

/** The Referer as a return URL, when it is one of our own pages under `path`. */
export function refererReturnUrl(referer: string | undefined, host: string | undefined, path: string): string {
  if (!referer || !host) return path;
  try {
    const url = new URL(referer);
    if (url.host !== new URL(`${url.protocol}//${host}`).host) return path;
    return safeReturnUrl(url.pathname + url.search, path);
  } catch {
    return path;
  }
}
