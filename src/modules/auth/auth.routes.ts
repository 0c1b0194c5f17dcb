// Sign in, sign out, and change one's own password.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit, type AppConfig } from "../../config.js";
import { signInNext } from "../../plugins/auth.js";
import { csrfCookie } from "../../plugins/security.js";
import * as service from "./auth.service.js";

type Body = Record<string, unknown>;

export default async function authRoutes(app: FastifyInstance, options: { config: AppConfig }) {
  const { config } = options;
  const policy = { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours };
  const windowMs = config.signInWindowMinutes * 60_000;
  // Failed sign-ins are counted per client IP and per username; success costs nothing.
  const failuresPerIp = app.createRateLimit({ max: config.signInFailuresPerIp, timeWindow: windowMs, keyGenerator: (request) => `ip:${request.ip}` });
  const failuresPerUsername = app.createRateLimit({
    max: config.signInFailuresPerUsername,
    timeWindow: windowMs,
    keyGenerator: (request) => `user:${String((request.body as Body | undefined)?.username ?? "").trim().toLowerCase().slice(0, 64)}`,
  });

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
    const limits = await Promise.all([failuresPerIp(request, { increment: false }), failuresPerUsername(request, { increment: false })]);
    const exceeded = limits.flatMap((limit) => (!limit.isAllowed && (limit.isExceeded || limit.remaining <= 0) ? [limit.ttl] : []));
    if (exceeded.length > 0) {
      const wait = Math.max(1, Math.ceil(Math.max(...exceeded) / 60_000));
      reply.header("retry-after", String(wait * 60));
      // The same words whether or not the username exists.
      return renderSignIn(reply, { next, username: String(body.username ?? ""), error: `Too many failed sign-ins. Try again in ${wait} minute${wait === 1 ? "" : "s"}.` }, 429);
    }
    const result = await service.signIn(app.db, body, policy);
    if (!result.ok) {
      if (result.reason === "invalid") await Promise.all([failuresPerIp(request), failuresPerUsername(request)]);
      request.log.info({ username: result.username.slice(0, 64), reason: result.reason }, "sign-in refused");
      return renderSignIn(reply, { next, username: result.username, error: result.errors.form }, 401);
    }
    if (request.sessionToken) await service.signOut(app.db, request.sessionToken);
    request.log.info({ user: result.actor.username }, "signed in");
    // A new CSRF secret with the new session: tokens from before the sign-in stop working.
    reply.clearCookie(csrfCookie, { path: "/" });
    return reply.startSession(result.token).redirect(next, 303);
  });

  app.post("/signout", { config: { access: "read" }, bodyLimit: smallFormBodyLimit }, async (request: FastifyRequest, reply) => {
    if (request.sessionToken) await service.signOut(app.db, request.sessionToken);
    reply.endSession().clearCookie(csrfCookie, { path: "/" });
    return reply.redirectAfterPost("/signin");
  });

  app.get("/account/password", { config: { access: "read" } }, async (_request, reply) =>
    reply.render({ page: "auth/password" }, { title: "Change your password", tab: "", errors: {} }),
  );

  app.post<{ Body: Body }>("/account/password", { config: { access: "read" }, bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const result = await service.changeOwnPassword(app.db, request.actor!, request.sessionToken!, request.body ?? {});
    if (!result.ok) return reply.render({ page: "auth/password" }, { title: "Change your password", tab: "", errors: result.errors }, 422);
    reply.setFlash("Your password is changed. Your other sessions were signed out.");
    return reply.redirectAfterPost("/dids");
  });
}
