// Who is asking, on every request, before anything else runs. Each route says what it
// needs in its config (`access`): "public", "read" (any signed-in user; the default for
// GET), "write" (not support; the default for other methods) or "admin". A request
// without a session goes to the sign-in page and comes back where it was going.
import fp from "fastify-plugin";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "../db/prisma.js";
import { resolveSession, type SessionPolicy } from "../modules/auth/auth.service.js";
import { callerOf, type Actor, type Caller } from "../shared/actor.js";
import { safeReturnUrl } from "../shared/return-url.js";
import { renderError } from "./errors.js";
import { isHtmxRequest } from "./htmx.js";

export type Access = "public" | "read" | "write" | "admin";
export const sessionCookie = "did_session";

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor | undefined;
    sessionToken: string | undefined;
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

export default fp<{ db: Db; policy: SessionPolicy; fixedActor?: Actor }>(async (app, { db, policy, fixedActor }) => {
  app.decorateRequest("actor", undefined);
  app.decorateRequest("sessionToken", undefined);

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
      request.sessionToken = token;
      request.actor = await resolveSession(db, token, policy);
      if (!request.actor) reply.endSession();
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
});
