// Thin route for the audit log: validate, call the service, pick the template. Every
// signed-in role may read it; what each sees is cut by scope in the repository.
import type { FastifyInstance } from "fastify";
import { actionLabels, auditActions, auditObjectTypes, auditParams, auditUrl, isFiltered, objectTypeLabels, requestUrl, objectHistoryUrl } from "./audit-filters.js";
import * as service from "./audit.service.js";

export default async function auditRoutes(app: FastifyInstance) {
  app.get<{ Querystring: Record<string, unknown> }>("/audit", async (request, reply) => {
    const page = await service.auditPage(app.db, request.actor!, request.query);
    // htmx pushes the canonical URL, so shared links carry no empty fields.
    if (request.wantsFragment && page.valid) reply.header("hx-push-url", auditUrl(page.query));
    return reply.render(
      { page: "audit/list", fragment: "audit/_browser" },
      {
        ...page,
        title: "Audit log",
        tab: "audit",
        filtered: isFiltered(page.query.filter),
        params: auditParams,
        auditActions,
        auditObjectTypes,
        actionLabels,
        objectTypeLabels,
        kindLabels: service.operationKindLabels,
        auditUrl,
        requestUrl,
        objectHistoryUrl,
      },
      page.valid ? 200 : 400,
    );
  });
}
