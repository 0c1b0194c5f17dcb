// The API tokens page, for admins only (it does not exist for anyone else). A new token
// is shown once, in the body of the POST's answer: never in a URL, a cookie or a redirect.
import { writerOf } from "../../plugins/auth.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId, type FieldErrors } from "../../shared/field-errors.js";
import { apiTokenForm, parseCreateApiTokenForm, type ApiTokenForm } from "./api-token-forms.js";
import * as service from "./api-tokens.service.js";

type Body = Record<string, unknown>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;
const admin = { config: { access: "admin" as const } };
const adminForm = { ...admin, bodyLimit: smallFormBodyLimit };
const tab = "api-tokens";

export default async function apiTokenRoutes(app: FastifyInstance) {
  /** The list's data, with the default limit that tokens without their own get. */
  const listData = async () => ({ ...(await service.apiTokenListPage(app.db)), defaultRateLimit: app.config.apiRateLimit });

  app.get("/api-tokens", admin, async (_request, reply) =>
    reply.render({ page: "api-tokens/list", fragment: "api-tokens/_list" }, { title: "API tokens", tab, ...(await listData()) }),
  );

  const renderNew = async (reply: FastifyReply, form: ApiTokenForm, errors: FieldErrors = {}, status = 200) =>
    reply.render(
      { page: "api-tokens/new", fragment: "api-tokens/_create-dialog" },
      { title: "New API token", tab, ...(await service.newApiTokenPage(app.db)), defaultRateLimit: app.config.apiRateLimit, form, errors },
      status,
    );

  app.get("/api-tokens/new", admin, async (_request, reply) => renderNew(reply, {}));

  app.post<{ Body: Body }>("/api-tokens/new", adminForm, async (request, reply) => {
    const parsed = parseCreateApiTokenForm(request.body ?? {});
    if (!parsed.ok) return renderNew(reply, parsed.form, parsed.errors, 422);
    const outcome = await service.createApiToken(app.db, writerOf(request), parsed.command);
    if (outcome.kind === "invalid") return renderNew(reply, apiTokenForm(parsed.command), outcome.errors, 422);
    // Not a redirect: the token goes out in this body, once. The htmx fragment also
    // refreshes the list behind the dialog (out of band), which shows the prefix only.
    const created = { name: outcome.name, token: outcome.token, prefix: outcome.prefix };
    return reply.render({ page: "api-tokens/created", fragment: "api-tokens/_created-dialog" }, { title: "New API token", tab, ...(await listData()), created }, 201);
  });

  const tokenId = async (request: IdRequest, reply: FastifyReply) => {
    const id = parseId(request.params.id);
    if (id === undefined) await renderError(request, reply, 400, { title: "Bad API token ID", message: `“${clip(request.params.id)}” is not an API token ID: IDs are whole numbers.` });
    return id;
  };
  const notFound = (request: FastifyRequest, reply: FastifyReply, id: number) =>
    renderError(request, reply, 404, { title: "API token not found", message: `There is no API token with ID ${id}.` });
  const renderRevoke = (reply: FastifyReply, token: service.ApiTokenRow, status = 200) =>
    reply.render({ page: "api-tokens/revoke", fragment: "api-tokens/_revoke-dialog" }, { title: `Revoke API token ${token.name}`, tab, token }, status);

  app.get<{ Params: { id: string } }>("/api-tokens/:id/revoke", admin, async (request, reply) => {
    const id = await tokenId(request, reply);
    if (id === undefined) return reply;
    const token = await service.getApiToken(app.db, id);
    return token ? renderRevoke(reply, token) : notFound(request, reply, id);
  });

  app.post<{ Params: { id: string }; Body: Body }>("/api-tokens/:id/revoke", adminForm, async (request, reply) => {
    const id = await tokenId(request, reply);
    if (id === undefined) return reply;
    const outcome = await service.revokeApiToken(app.db, writerOf(request), id);
    if (outcome.kind === "not-found") return notFound(request, reply, id);
    // The confirmation again, saying when and by whom: nothing to do, nothing changed.
    if (outcome.kind === "already-revoked") return renderRevoke(reply, outcome.token, 409);
    reply.setFlash(`Revoked API token “${outcome.name}”.`);
    return reply.redirectAfterPost("/api-tokens");
  });
}
