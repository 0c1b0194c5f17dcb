// One-shot messages ("Created 100 DIDs") carried across a redirect in a short-lived cookie
// and shown by the next full page. No session is needed for that.
import fp from "fastify-plugin";
import type { FastifyReply } from "fastify";

const cookieName = "flash";

declare module "fastify" {
  interface FastifyRequest {
    flash: string | undefined;
  }
  interface FastifyReply {
    setFlash(message: string): FastifyReply;
  }
}

export default fp(async (app) => {
  app.decorateRequest("flash", undefined);
  app.addHook("onRequest", async (request, reply) => {
    const message = request.cookies[cookieName];
    // Only a full page shows the message, so only a full page consumes it.
    if (message && !request.wantsFragment && request.method === "GET") {
      request.flash = message.slice(0, 500);
      reply.clearCookie(cookieName, { path: "/" });
    }
  });
  app.decorateReply("setFlash", function (this: FastifyReply, message: string) {
    return this.setCookie(cookieName, message, { path: "/", httpOnly: true, sameSite: "lax", secure: "auto", maxAge: 60 });
  });
});
