// Sign in, sign out, and change one's own password.
import type { FastifyInstance, FastifyReply } from "fastify";
import { smallFormBodyLimit, type AppConfig } from "../../config.js";
import { signInNext, writerOf } from "../../plugins/auth.js";
import { csrfCookie } from "../../plugins/security.js";
import { poolOf } from "../../db/prisma.js";
import { parseChangePasswordForm, parseSignInForm } from "./auth-forms.js";
import * as service from "./auth.service.js";
import { isKnownDevice, knownDeviceCookie, knownDeviceDays, knownDeviceToken } from "./known-device.js";
import { createSignInThrottle } from "./sign-in-throttle.js";

type Body = Record<string, unknown>;

/** The wait, in the words of the sign-in page and the password form. */
function tryAgainIn(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

export default async function authRoutes(app: FastifyInstance, options: { config: AppConfig; deviceKey: string }) {
  const { config, deviceKey } = options;
  const policy = { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours };
  // Only wrong passwords count (see sign-in-throttle.ts for what is counted and why).
  const throttle = createSignInThrottle({
    failuresPerUsernameAndAddress: config.signInFailuresPerUsernameAndIp,
    failuresPerAddress: config.signInFailuresPerIp,
    failuresPerUsername: config.signInFailuresPerUsername,
    windowMinutes: config.signInWindowMinutes,
  }, poolOf(app.db));

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
    const command = parseSignInForm(body);
    const { username, typed } = command;
    const gate = await throttle.signIn(username, request.ip, isKnownDevice(deviceKey, username, request.cookies[knownDeviceCookie]));
    if (!gate.allowed) {
      // Not an audit event: the password was not checked, and recording every refused
      // attempt would let a flood against a locked door fill the log (the throttle
      // answers it without writing anything). The attempts that are counted, the ones
      // that reached the password check, were recorded when they were made.
      reply.header("retry-after", String(gate.retryAfterSeconds));
      app.metrics.signInFailures.throttled.inc();
      // The same words whether or not the username exists.
      return renderSignIn(reply, { next, username: typed, error: `Too many sign-in attempts. ${tryAgainIn(gate.retryAfterSeconds)}` }, 429);
    }
    // An error from here on keeps the attempt counted: failing closed.
    const outcome = await service.signIn(app.db, command, { requestId: request.id, ip: request.ip }, policy);
    // A disabled account is named only after its right password: that was no guess either.
    if (outcome.kind === "signed-in" || outcome.reason === "disabled") await gate.notAGuess();
    if (outcome.kind === "refused") {
      // The attempted name is not logged: it is often a password typed in the wrong field.
      request.log.info({ reason: outcome.reason }, "sign-in refused");
      app.metrics.signInFailures[outcome.reason === "disabled" ? "disabled" : "wrong-password"].inc();
      return renderSignIn(reply, { next, username: typed, error: outcome.message }, 401);
    }
    if (request.sessionTokenHash) await service.signOut(app.db, request.sessionTokenHash);
    request.log.info({ user: outcome.actor.username }, "signed in");
    // A new CSRF secret with the new session: tokens from before the sign-in stop working.
    reply.clearCookie(csrfCookie, { path: "/" });
    // Sent to the sign-in form only: it lets this browser in while strangers hammer the account.
    if (username) {
      reply.setCookie(knownDeviceCookie, knownDeviceToken(deviceKey, username), {
        path: "/signin",
        httpOnly: true,
        sameSite: "lax",
        secure: request.protocol === "https",
        maxAge: knownDeviceDays * 86_400,
      });
    }
    return reply.startSession(outcome.token).redirect(next, 303);
  });

  app.post("/signout", { config: { access: "read" }, bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    if (request.sessionTokenHash) await service.signOut(app.db, request.sessionTokenHash);
    reply.endSession().clearCookie(csrfCookie, { path: "/" });
    return reply.redirectAfterPost("/signin");
  });

  const renderPasswordForm = (reply: FastifyReply, errors: Record<string, string>, status = 200) =>
    reply.render({ page: "auth/password" }, { title: "Change your password", tab: "", errors }, status);

  app.get("/account/password", { config: { access: "read" } }, async (_request, reply) => renderPasswordForm(reply, {}));

  app.post<{ Body: Body }>("/account/password", { config: { access: "read" }, bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    // A stolen session must not become a way to guess the current password.
    const gate = await throttle.currentPassword(request.actor!.userId);
    if (!gate.allowed) {
      reply.header("retry-after", String(gate.retryAfterSeconds));
      return renderPasswordForm(reply, { current: `Too many attempts. ${tryAgainIn(gate.retryAfterSeconds)}` }, 429);
    }
    const parsed = parseChangePasswordForm(request.body ?? {});
    // A malformed form (a field given twice) stays counted: its current password was not checked.
    if (!parsed.ok) return renderPasswordForm(reply, parsed.errors, 422);
    const outcome = await service.changeOwnPassword(app.db, writerOf(request), request.sessionTokenHash!, parsed.command);
    if (outcome.kind === "changed" || outcome.currentPasswordRight) await gate.notAGuess();
    if (outcome.kind === "invalid") return renderPasswordForm(reply, outcome.errors, 422);
    reply.setFlash("Your password is changed. Your other sessions were signed out.");
    return reply.redirectAfterPost("/dids");
  });
}
