// Thin routes for the Resellers page: a list with a create form.
import { writerOf } from "../../plugins/auth.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { parseCreateResellerForm } from "./reseller-forms.js";
import * as service from "./resellers.service.js";

export default async function resellerRoutes(app: FastifyInstance) {
  const renderList = async (request: FastifyRequest, reply: FastifyReply, form: { name?: string } = {}, errors: FieldErrors = {}, status = 200) => {
    const page = await service.resellerListPage(app.db, request.actor!);
    return reply.render({ page: "resellers/list" }, { ...page, title: "Resellers", tab: "resellers", form, errors }, status);
  };

  app.get("/resellers", async (request, reply) => renderList(request, reply));

  app.post<{ Body: Record<string, unknown> }>("/resellers", { bodyLimit: smallFormBodyLimit, config: { access: "admin" } }, async (request, reply) => {
    const parsed = parseCreateResellerForm(request.body ?? {});
    if (!parsed.ok) return renderList(request, reply, parsed.form, parsed.errors, 422);
    const outcome = await service.createReseller(app.db, writerOf(request), parsed.command);
    if (outcome.kind === "invalid") return renderList(request, reply, parsed.command, outcome.errors, 422);
    reply.setFlash(`Created reseller “${outcome.name}”.`);
    return reply.redirectAfterPost("/resellers");
  });
}
