// Sign in, sign out, and change one's own password.
import type { FastifyInstance, FastifyReply } from "fastify";
import { smallFormBodyLimit, type AppConfig } from "../../config.js";
import { signInNext } from "../../plugins/auth.js";
import { csrfCookie } from "../../plugins/security.js";
import { normalizeUsername } from "../users/usernames.js";
import * as service from "./auth.service.js";

type Body = Record<string, unknown>;
type Limit = { isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttl: number };

/** Minutes to wait when any of these limits is exceeded, else undefined. */
function waitMinutes(limits: Limit[]): number | undefined {
  const ttls = limits.flatMap((limit) => (!limit.isAllowed && limit.isExceeded ? [limit.ttl] : []));
  return ttls.length > 0 ? Math.max(1, Math.ceil(Math.max(...ttls) / 60_000)) : undefined;
}

export default async function authRoutes(app: FastifyInstance, options: { config: AppConfig }) {
  const { config } = options;
  const policy = { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours };
  const timeWindow = config.signInWindowMinutes * 60_000;
  // Every attempt counts, before the password is checked, so that a burst of parallel
  // guesses cannot all pass one counter read. Per client IP (IPv6 by its /64), and per
  // username whatever the IP.
  const attemptsPerIp = app.createRateLimit({ max: config.signInAttemptsPerIp, timeWindow });
  const attemptsPerUsername = app.createRateLimit({
    max: config.signInAttemptsPerUsername,
    timeWindow,
    keyGenerator: (request) => `user:${normalizeUsername((request.body as Body | undefined)?.username) ?? "(not a username)"}`,
  });
  const passwordChecks = app.createRateLimit({ max: config.signInAttemptsPerUsername, timeWindow, keyGenerator: (request) => `password:${request.actor?.userId}` });

  const renderSignIn = (reply: FastifyReply, data: { next: string; username?: string; error?: string }, status = 200) =>
    reply.render({ page: "auth/signin" }, { title: "Sign in", tab: "", ...data }, status);

  app.get<{ Querystring: Body }>("/signin", { config: { access: "public" } }, async (request, reply) => {
    const next = signInNext(request.query.next);
    if (request.actor) return reply.redirect(next, 303);
    return renderSignIn(reply, { next });
  });

  app.post<{ Body: Body }>("/signin", { config: { access: "public" }, bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const body = request.body ?? {};
    const next = signInNext(body.next);
    const typed = typeof body.username === "string" ? body.username.slice(0, 64) : "";
    const wait = waitMinutes(await Promise.all([attemptsPerIp(request), attemptsPerUsername(request)]));
    if (wait !== undefined) {
      reply.header("retry-after", String(wait * 60));
      // The same words whether or not the username exists.
      return renderSignIn(reply, { next, username: typed, error: `Too many sign-in attempts. Try again in ${wait} minute${wait === 1 ? "" : "s"}.` }, 429);
    }
    const result = await service.signIn(app.db, body, policy);
    if (!result.ok) {
      // The attempted name is not logged: it is often a password typed in the wrong field.
      request.log.info({ reason: result.reason }, "sign-in refused");
      return renderSignIn(reply, { next, username: typed, error: result.errors.form }, 401);
    }
    if (request.sessionToken) await service.signOut(app.db, request.sessionToken);
    request.log.info({ user: result.actor.username }, "signed in");
    // A new CSRF secret with the new session: tokens from before the sign-in stop working.
    reply.clearCookie(csrfCookie, { path: "/" });
    return reply.startSession(result.token).redirect(next, 303);
  });

  app.post("/signout", { config: { access: "read" }, bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    if (request.sessionToken) await service.signOut(app.db, request.sessionToken);
    reply.endSession().clearCookie(csrfCookie, { path: "/" });
    return reply.redirectAfterPost("/signin");
  });

  const renderPasswordForm = (reply: FastifyReply, errors: Record<string, string>, status = 200) =>
    reply.render({ page: "auth/password" }, { title: "Change your password", tab: "", errors }, status);

  app.get("/account/password", { config: { access: "read" } }, async (_request, reply) => renderPasswordForm(reply, {}));

  app.post<{ Body: Body }>("/account/password", { config: { access: "read" }, bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    // A stolen session must not become a way to guess the current password.
    const wait = waitMinutes([await passwordChecks(request)]);
    if (wait !== undefined) return renderPasswordForm(reply, { current: `Too many attempts. Try again in ${wait} minute${wait === 1 ? "" : "s"}.` }, 429);
    const result = await service.changeOwnPassword(app.db, request.actor!, request.sessionToken!, request.body ?? {});
    if (!result.ok) return renderPasswordForm(reply, result.errors, 422);
    reply.setFlash("Your password is changed. Your other sessions were signed out.");
    return reply.redirectAfterPost("/dids");
  });
}
