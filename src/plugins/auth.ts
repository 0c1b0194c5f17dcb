// Who is asking, on every request, before anything else runs. Each route says what it
// needs in its config (`access`): "public", "read" (any signed-in user; the default for
// GET), "write" (not support; the default for other methods) or "admin". A request
// without a session goes to the sign-in page and comes back where it was going.
//
// The check is one query, except on pages that confirm the session in their own statement
// (config `sessionInStatement`, read with request.readWithSession: the inventory, which
// twenty people may reload at once). There a session this process checked in full within
// the last minute is taken on trust while the page's statement reads, and that statement
// confirms it in its own snapshot (what the page reads in other statements at the same
// time is used only once it has); when it does not, the session is checked in full and
// the page read again. Nothing is written and nothing shown on the claim alone.
import fp from "fastify-plugin";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "../db/prisma.js";
import type { Prisma } from "../generated/prisma/client.js";
import { resolveSession, sessionClaim, tokenHash, type CheckedSession, type SessionPolicy } from "../modules/auth/auth.service.js";
import { callerOf, type Actor, type Caller } from "../shared/actor.js";
import { safeReturnUrl } from "../shared/return-url.js";
import { renderError } from "./errors.js";
import { isHtmxRequest } from "./htmx.js";

export type Access = "public" | "read" | "write" | "admin";
export const sessionCookie = "did_session";

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
    /** GET pages whose handler reads through request.readWithSession (see above). */
    sessionInStatement?: boolean;
  }
  interface FastifyRequest {
    actor: Actor | undefined;
    /**
     * tokenHash of the session cookie's token, worked out once per request: the session's
     * key (lookup, claim, sign-out, password change) and the CSRF binding. The token itself
     * is never needed past it.
     */
    sessionTokenHash: string | undefined;
    /** Set while request.actor is only claimed: the SQL that confirms it (see above). */
    sessionClaim: Prisma.Sql | undefined;
    /**
     * Runs `read` as request.actor with the session's claim, if there is one, for its one
     * statement to confirm (`read` returns undefined when it did not). Then, if needed, the
     * session is checked in full and `read` runs again, without a claim. Undefined when the
     * session turns out to be gone: the reply is then the way to sign in, sent.
     */
    readWithSession<T>(reply: FastifyReply, read: (actor: Actor, confirm: Prisma.Sql | undefined) => Promise<T | undefined>): Promise<T | undefined>;
  }
  interface FastifyReply {
    startSession(token: string): FastifyReply;
    endSession(): FastifyReply;
  }
}

/** Where a sign-in should lead back to: the page the user was on or going to. */
function comingFrom(request: FastifyRequest): string {
  const current = request.headers["hx-current-url"];
  if (isHtmxRequest(request) && typeof current === "string") {
    try {
      const url = new URL(current);
      return url.pathname + url.search;
    } catch {
      return "/dids";
    }
  }
  return request.method === "GET" ? request.url : "/dids";
}

/**
 * The signed-in user of a request that changes things, with the request's id: what a
 * service records its audit events under. Only for routes behind sign-in.
 */
export function writerOf(request: FastifyRequest): Actor & Caller {
  if (!request.actor) throw new Error(`${request.method} ${request.url} changes things but has no signed-in user`);
  return callerOf(request.actor, request.id);
}

/** A return path after sign-in: any page of ours but the sign-in page itself, encoded. */
export function signInNext(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.length > 2000) return "/dids";
  let path: string;
  try {
    path = new URL(value, "http://return.invalid").pathname;
  } catch {
    return "/dids";
  }
  if (!/^\/[a-z]/.test(path) || path.startsWith("/signin")) return "/dids";
  return safeReturnUrl(value, path);
}

function redirectToSignIn(request: FastifyRequest, reply: FastifyReply) {
  const target = `/signin?next=${encodeURIComponent(signInNext(comingFrom(request)))}`;
  // htmx follows HX-Redirect with a full navigation: no sign-in form swapped into a table.
  if (isHtmxRequest(request)) return reply.code(401).header("hx-redirect", target).send();
  return reply.redirect(target, 303);
}

/** Sessions this process checked in full, for claims: at most this many, the oldest dropped. */
const maxCheckedSessions = 10_000;

export default fp<{ db: Db; policy: SessionPolicy; fixedActor?: Actor }>(async (app, { db, policy, fixedActor }) => {
  app.decorateRequest("actor", undefined);
  app.decorateRequest("sessionTokenHash", undefined);
  app.decorateRequest("sessionClaim", undefined);

  // Claims are for pages any signed-in user may GET (see the onRequest hook): say so at
  // start-up rather than leave a marked route that can never claim, or one read without a user.
  app.addHook("onRoute", (route) => {
    const methods = [route.method].flat();
    if (route.config?.sessionInStatement && ((route.config.access ?? "read") !== "read" || methods.some((m) => m !== "GET" && m !== "HEAD"))) {
      throw new Error(`${route.url}: sessionInStatement is for GET routes with access "read"`);
    }
  });

  /** By token hash: the last full check of each session this process saw. */
  const checkedSessions = new Map<string, CheckedSession>();
  const checkInFull = async (request: FastifyRequest, hash: string) => {
    const checked = await resolveSession(db, hash, policy);
    checkedSessions.delete(hash);
    if (checked) {
      if (checkedSessions.size >= maxCheckedSessions) checkedSessions.delete(checkedSessions.keys().next().value!);
      checkedSessions.set(hash, checked);
    }
    request.actor = checked?.actor;
    return checked;
  };

  app.decorateRequest("readWithSession", async function <T>(
    this: FastifyRequest,
    reply: FastifyReply,
    read: (actor: Actor, confirm: Prisma.Sql | undefined) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const claim = this.sessionClaim;
    this.sessionClaim = undefined;
    if (claim) {
      let claimed: T | undefined;
      try {
        claimed = await read(this.actor!, claim);
      } catch (error) {
        // The error page must not name a user whose session nobody confirmed.
        this.actor = undefined;
        throw error;
      }
      if (claimed !== undefined) return claimed;
      // The session ended or its user changed since this process last checked it.
      if (!(await checkInFull(this, this.sessionTokenHash!))) {
        reply.endSession();
        await redirectToSignIn(this, reply);
        return undefined;
      }
    }
    const result = await read(this.actor!, undefined);
    if (result === undefined) throw new Error(`${this.method} ${this.url}: a read without a session claim to confirm came back unconfirmed`);
    return result;
  });

  app.decorateReply("startSession", function (this: FastifyReply, token: string) {
    return this.setCookie(sessionCookie, token, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: this.request.protocol === "https",
      maxAge: policy.absoluteHours * 3600,
    });
  });
  app.decorateReply("endSession", function (this: FastifyReply) {
    return this.clearCookie(sessionCookie, { path: "/" });
  });

  app.addHook("onRequest", async (request, reply) => {
    // Our own stylesheet and htmx are for everyone (the sign-in page needs them) and cost
    // no session lookup.
    if (request.url.startsWith("/static/")) return;
    const token = request.cookies[sessionCookie];
    if (fixedActor) request.actor = fixedActor;
    else if (token) {
      const hash = (request.sessionTokenHash = tokenHash(token));
      // Marked routes are GET routes any signed-in user may read (onRoute above), so no
      // access decision rests on a claim. HEAD is checked in full.
      const checked = request.routeOptions.config?.sessionInStatement && request.method === "GET" ? checkedSessions.get(hash) : undefined;
      request.sessionClaim = checked && sessionClaim(hash, checked, policy);
      if (request.sessionClaim) request.actor = checked!.actor;
      else if (!(await checkInFull(request, hash))) reply.endSession();
    }
    const access: Access = request.routeOptions.config?.access ?? (request.method === "GET" || request.method === "HEAD" ? "read" : "write");
    if (access === "public") return;
    if (!request.actor) return redirectToSignIn(request, reply);
    const changes = access === "write" || (access === "admin" && request.method !== "GET" && request.method !== "HEAD");
    if (changes && !request.actor.canWrite) {
      return renderError(request, reply, 403, { title: "Read only", message: "Your account can look but not change anything here. Ask an administrator if you need to." });
    }
    // Admin pages do not exist for anyone else.
    if (access === "admin" && !request.actor.isAdmin) return renderError(request, reply, 404);
  });

  // A claim nobody confirmed means a page was built for a session nobody checked: refuse it
  // (a route marked sessionInStatement that does not read through readWithSession).
  app.addHook("onSend", async (request) => {
    if (request.sessionClaim) {
      request.sessionClaim = undefined;
      request.actor = undefined;
      throw new Error(`${request.method} ${request.url} is marked sessionInStatement but never confirmed the session`);
    }
  });
});
