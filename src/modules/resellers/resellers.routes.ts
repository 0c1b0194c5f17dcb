// Thin routes for the Resellers page: a list with a create form.
import type { FastifyInstance } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import * as service from "./resellers.service.js";

export default async function resellerRoutes(app: FastifyInstance) {
  app.get("/resellers", async (request, reply) => {
    const page = await service.resellerListPage(app.db, request.actor!);
    return reply.render({ page: "resellers/list" }, { ...page, title: "Resellers", tab: "resellers", form: {}, errors: {} });
  });

  app.post<{ Body: Record<string, unknown> }>("/resellers", { bodyLimit: smallFormBodyLimit, config: { access: "admin" } }, async (request, reply) => {
    const result = await service.createReseller(app.db, request.body ?? {});
    if (result.ok) {
      reply.setFlash(`Created reseller “${String(request.body.name).trim()}”.`);
      return reply.redirectAfterPost("/resellers");
    }
    const page = await service.resellerListPage(app.db, request.actor!);
    return reply.render({ page: "resellers/list" }, { ...page, title: "Resellers", tab: "resellers", form: result.form, errors: result.errors }, 422);
  });
}
