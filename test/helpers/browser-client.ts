// A browser over real HTTP (fetch), for tests that run the app as a server: it keeps its
// cookies across requests (and across instances, as one behind a balancer does), sends
// forms with the CSRF token of the page they come from, and follows no redirect.
import { html } from "./app.js";

export interface BrowserClient {
  /** The Cookie header it sends now. */
  cookie(): string;
  get(base: string, path: string): Promise<Response>;
  /** The CSRF token of the page at `path` (its cookie kept). */
  csrf(base: string, path: string): Promise<string>;
  /** A form to `path`, with the CSRF token of the page at `csrfFrom`. */
  post(base: string, path: string, body: URLSearchParams | FormData, csrfFrom: string): Promise<Response>;
  /** The sign-in form; a 303 when signed in. */
  signIn(base: string, username: string, password: string): Promise<Response>;
}

export function browserClient(): BrowserClient {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      const [name, value] = [pair!.slice(0, at), pair!.slice(at + 1)];
      if (value && !/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.set(name, value);
      else jar.delete(name);
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const get = async (base: string, path: string) => keep(await fetch(base + path, { headers: { cookie: cookie() }, redirect: "manual" }));
  const csrf = async (base: string, path: string) => html(await (await get(base, path)).text()).querySelector('input[name="_csrf"]')?.getAttribute("value") ?? "";
  const post = async (base: string, path: string, body: URLSearchParams | FormData, csrfFrom: string) => {
    body.set("_csrf", await csrf(base, csrfFrom));
    return keep(await fetch(base + path, { method: "POST", body, headers: { cookie: cookie() }, redirect: "manual" }));
  };
  const signIn = (base: string, username: string, password: string) => post(base, "/signin", new URLSearchParams({ username, password }), "/signin");
  return { cookie, get, csrf, post, signIn };
}
