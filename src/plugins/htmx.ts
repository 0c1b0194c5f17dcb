// Page or fragment: one handler serves both. A request from htmx gets the fragment, except
// a history restore (back/forward after the cache was evicted), which needs the whole page.
// Every response varies on HX-Request so that no cache hands a fragment to a page load.
import fp from "fastify-plugin";
import type { FastifyReply, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** True when htmx asked for a fragment. */
    wantsFragment: boolean;
  }
  interface FastifyReply {
    /** After a successful POST: a 303 for a browser, an HX-Redirect for htmx. */
    redirectAfterPost(url: string): FastifyReply;
  }
}

/** Any request htmx made (a swap, a boosted link, a history restore). */
export function isHtmxRequest(request: FastifyRequest): boolean {
  return request.headers["hx-request"] === "true";
}

export function wantsFragment(request: FastifyRequest): boolean {
  return isHtmxRequest(request) && request.headers["hx-history-restore-request"] !== "true";
}

export default fp(async (app) => {
  app.decorateRequest("wantsFragment", false);
  app.addHook("onRequest", async (request) => {
    request.wantsFragment = wantsFragment(request);
  });
  app.addHook("onSend", async (_request, reply) => {
    const vary = reply.getHeader("vary");
    if (!vary) reply.header("vary", "HX-Request");
    else if (!String(vary).toLowerCase().includes("hx-request")) reply.header("vary", `${String(vary)}, HX-Request`);
  });
  app.decorateReply("redirectAfterPost", function (this: FastifyReply, url: string) {
    if (isHtmxRequest(this.request)) {
      // A full navigation: the target page has its own layout, flash and URL.
      return this.code(204).header("hx-redirect", url).send();
    }
    return this.redirect(url, 303);
  });
});
