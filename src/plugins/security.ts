// The security baseline: headers with a Content-Security-Policy that allows no inline
// script and no eval (htmx is configured to need neither), and CSRF tokens on every
// state-changing request (a hidden _csrf field in forms, an X-CSRF-Token header from htmx).
import fp from "fastify-plugin";
import helmet from "@fastify/helmet";
import csrf from "@fastify/csrf-protection";
import rateLimit from "@fastify/rate-limit";

export const csrfCookie = "did_csrf";

export default fp(async (app) => {
  await app.register(helmet, {
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
    // Same-origin resources only; nothing here is meant to be embedded elsewhere.
    crossOriginResourcePolicy: { policy: "same-origin" },
  });
  // Limits are set where they apply (sign-in counts failures per IP and per username).
  // The counters live in this process: several instances each count on their own.
  await app.register(rateLimit, { global: false });
  // The secret lives in its own HttpOnly cookie; a token from another browser fails.
  await app.register(csrf, {
    cookieKey: csrfCookie,
    cookieOpts: { path: "/", httpOnly: true, sameSite: "lax", signed: false },
  });
  app.addHook("preHandler", (request, reply, done) => {
    if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return done();
    app.csrfProtection(request, reply, done);
  });
});
