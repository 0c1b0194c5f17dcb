// Thin routes for the Operators tab.
import { writerOf } from "../../plugins/auth.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId, type FieldErrors } from "../../shared/field-errors.js";
import { operatorListUrl } from "./operator-filters.js";
import { parseCreateOperatorForm, type OperatorForm } from "./operator-forms.js";
import * as service from "./operators.service.js";

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;

export default async function operatorRoutes(app: FastifyInstance) {
  app.get<{ Querystring: Query }>("/operators", async (request, reply) => {
    const page = await service.operatorListPage(app.db, request.actor!, request.query);
    if (request.wantsFragment && page.valid) reply.header("hx-push-url", operatorListUrl(page.query));
    return reply.render(
      { page: "operators/list", fragment: "operators/_browser" },
      { ...page, title: "Operators", tab: "operators", operatorListUrl },
      page.valid ? 200 : 400,
    );
  });

  const write = { config: { access: "write" as const } };

  app.get<{ Querystring: Query }>("/operators/new", write, async (request, reply) => {
    const preset = typeof request.query.reseller === "string" ? parseId(request.query.reseller) : undefined;
    return renderNew(request, reply, { resellerId: preset });
  });

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, form: OperatorForm, errors: FieldErrors = {}, status = 200) =>
    reply.render(
      { page: "operators/new", fragment: "operators/_create-dialog" },
      { title: "New operator", tab: "operators", ...(await service.newOperatorPage(app.db, request.actor!)), form, errors },
      status,
    );

  app.post<{ Body: Body }>("/operators/new", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const parsed = parseCreateOperatorForm(request.body ?? {});
    if (!parsed.ok) return renderNew(request, reply, parsed.form, parsed.errors, 422);
    const outcome = await service.createOperator(app.db, writerOf(request), parsed.command);
    if (outcome.kind === "invalid") return renderNew(request, reply, parsed.command, outcome.errors, 422);
    reply.setFlash(`Created operator “${outcome.name}”.`);
    return reply.redirectAfterPost("/operators");
  });

  const notFound = (id: number) => ({ title: "Operator not found", message: `There is no operator with ID ${id}. It may have been deleted.` });
  const badId = (raw: string) => ({ title: "Bad operator ID", message: `“${clip(raw)}” is not an operator ID: IDs are whole numbers.` });

  app.get<{ Params: { id: string } }>("/operators/:id/delete", write, async (request, reply) => {
    const id = parseId(request.params.id);
    if (id === undefined) return renderError(request, reply, 400, badId(request.params.id));
    const found = await service.getOperator(app.db, request.actor!, id);
    if (!found) return renderError(request, reply, 404, notFound(id));
    return reply.render({ page: "operators/delete", fragment: "operators/_delete-dialog" }, { title: `Delete operator ${found.operator.name}`, tab: "operators", ...found });
  });

  app.post<{ Params: { id: string } }>("/operators/:id/delete", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const id = parseId(request.params.id);
    if (id === undefined) return renderError(request, reply, 400, badId(request.params.id));
    const outcome = await service.deleteOperator(app.db, writerOf(request), id);
    if (outcome.kind === "not-found") return renderError(request, reply, 404, notFound(id));
    if (outcome.kind === "in-use") {
      return reply.render(
        { page: "operators/delete", fragment: "operators/_delete-dialog" },
        { title: `Delete operator ${outcome.operator.name}`, tab: "operators", operator: outcome.operator, didCount: outcome.didCount },
        409,
      );
    }
    reply.setFlash(`Deleted operator “${outcome.name}”.`);
    return reply.redirectAfterPost("/operators");
  });
}
