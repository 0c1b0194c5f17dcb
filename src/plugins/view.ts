// Server-rendered HTML with Eta: `<%= %>` escapes, so user text is inert by default.
// Templates get `it.h`, a few formatting helpers, and the layout's common fields.
import fp from "fastify-plugin";
import view from "@fastify/view";
import { Eta } from "eta";
import type { FastifyReply } from "fastify";
import { viewsDir } from "../paths.js";
import { viewHelpers } from "../shared/view-helpers.js";

declare module "fastify" {
  interface FastifyReply {
    /** Renders `page` (with the layout) or, for htmx, `fragment`, from the same data. */
    render(templates: { page: string; fragment?: string }, data: Record<string, unknown>, status?: number): FastifyReply;
  }
}

/** What the layout and every form need: who is signed in, the CSRF token, assets, flash. */
export function layoutData(reply: FastifyReply) {
  const request = reply.request;
  return { actor: request.actor, csrfToken: reply.csrfToken(), flash: request.flash, assets: reply.server.assets };
}

export default fp<{ cacheTemplates: boolean }>(async (app, options) => {
  await app.register(view, {
    engine: { eta: new Eta({ views: viewsDir, cache: options.cacheTemplates }) },
    root: viewsDir,
    production: options.cacheTemplates,
    defaultContext: { h: viewHelpers },
  });
  app.decorateReply("render", function (this: FastifyReply, templates: { page: string; fragment?: string }, data: Record<string, unknown>, status = 200) {
    const request = this.request;
    const template = request.wantsFragment && templates.fragment ? templates.fragment : templates.page;
    this.code(status).type("text/html; charset=utf-8");
    return this.view(template, { ...data, ...layoutData(this) });
  });
});
