// The security baseline: headers with a Content-Security-Policy that allows no inline
// script and no eval (htmx is configured to need neither), CSRF tokens on every
// state-changing request (a hidden _csrf field in forms, an X-CSRF-Token header from
// htmx), no caching of signed-in pages, and form bodies only.
import fp from "fastify-plugin";
import helmet from "helmet";
import csrf from "@fastify/csrf-protection";
import type { FastifyReply, FastifyRequest } from "fastify";

export const csrfCookie = "did_csrf";

declare module "fastify" {
  interface FastifyReply {
    /** A CSRF token for this browser and session, for forms and the htmx header. */
    csrfToken(): string;
  }
}

/**
 * Tokens are bound to the signed-in session as well as to the secret cookie: a secret
 * planted by someone who can set cookies for this host ("cookie tossing") is useless
 * without the session, and a token from before sign-in stops working after it.
 */
function csrfUserInfo(request: FastifyRequest): string {
  return request.actor && request.sessionTokenHash ? request.sessionTokenHash : "anonymous";
}

export default fp<{ csrfKey: string }>(async (app, { csrfKey }) => {
  // Pages take forms only: a form route fed JSON answers 415, never a surprise. (The JSON
  // API, modules/routing, is a scope of its own, beside the pages'.)
  app.removeContentTypeParser(["application/json", "text/plain"]);

  // helmet itself, its middleware built once: @fastify/helmet builds it anew for every
  // request (2% of a light page's time, 12% of a redirect's).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        // Plain-HTTP installations on a LAN must keep working.
        upgradeInsecureRequests: null,
      },
    },
    // Browsers ignore it over plain HTTP; over HTTPS it must not also pin every subdomain
    // of a carrier's internal domain to HTTPS.
    hsts: { maxAge: 180 * 24 * 3600, includeSubDomains: false },
    // Our own pages learn where the user came from (the way back to a search after an
    // edit); other sites learn nothing.
    referrerPolicy: { policy: "same-origin" },
    // Same-origin resources only; nothing here is meant to be embedded elsewhere.
    crossOriginResourcePolicy: { policy: "same-origin" },
  });
  app.addHook("onRequest", (request, reply, done) => securityHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)));

  await app.register(csrf, {
    cookieKey: csrfCookie,
    cookieOpts: { path: "/", httpOnly: true, sameSite: "lax", signed: false, secure: "auto" },
    getUserInfo: csrfUserInfo,
    csrfOpts: { hmacKey: csrfKey },
  });
  app.decorateReply("csrfToken", function (this: FastifyReply) {
    return this.generateCsrf({ userInfo: csrfUserInfo(this.request) });
  });
  app.addHook("preHandler", (request, reply, done) => {
    if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return done();
    app.csrfProtection(request, reply, done);
  });

  // Signed-in pages hold customers' numbers: not for shared caches or the back button
  // of a signed-out browser. Static files set their own long cache.
  app.addHook("onSend", async (_request, reply) => {
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
  });
});
