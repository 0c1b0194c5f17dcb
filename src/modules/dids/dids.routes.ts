// Thin routes for the DID inventory: validate, call the service, pick the template.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId } from "../../shared/field-errors.js";
import { refererReturnUrl, safeReturnUrl } from "../../shared/return-url.js";
import { didStatuses, isFiltered, listUrl, pageSizes, sortColumns } from "./did-filters.js";
import { afterHoldStatuses, createStatuses, maxHoldDays } from "./did-forms.js";
import * as service from "./dids.service.js";

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;
type WithId = FastifyRequest<{ Params: { id: string } }>;

const formOptions = { createStatuses, afterHoldStatuses, didStatuses, maxHoldDays };
const backToList = (value: unknown) => safeReturnUrl(value, "/dids");

function didNotFound(request: FastifyRequest, reply: FastifyReply, id: number) {
  return renderError(request, reply, 404, { title: "DID not found", message: `There is no DID with ID ${id}. It may have been deleted.` });
}

/** The DID id in the URL, or a 400 page when it is not one. */
async function didIdOr400(request: WithId, reply: FastifyReply): Promise<number | undefined> {
  const id = parseId(request.params.id);
  if (id === undefined) await renderError(request, reply, 400, { title: "Bad DID ID", message: `“${clip(request.params.id)}” is not a DID ID: IDs are whole numbers.` });
  return id;
}

export default async function didRoutes(app: FastifyInstance) {
  app.get<{ Querystring: Query }>("/dids", async (request, reply) => {
    const page = await service.didListPage(app.db, request.actor!, request.query);
    const canonical = listUrl(page.query);
    // htmx pushes the canonical URL, so shared links carry no empty fields.
    if (request.wantsFragment && page.valid) reply.header("hx-push-url", canonical);
    return reply.render(
      { page: "dids/list", fragment: "dids/_browser" },
      { ...page, title: "DID inventory", tab: "dids", canonical, listUrl, pageSizes, sortColumns, didStatuses, filtered: isFiltered(page.query.filter) },
      page.valid ? 200 : 400,
    );
  });

  const renderCreateForm = async (reply: FastifyReply, data: Record<string, unknown>, status = 200) =>
    reply.render(
      { page: "dids/new", fragment: "dids/_create-dialog" },
      { title: "New DIDs", tab: "dids", ...(await service.newDidsPage(app.db, reply.request.actor!)), maxCreate: app.config.maxCreateDids, errors: {}, ...formOptions, ...data },
      status,
    );

  const write = { config: { access: "write" as const } };

  app.get("/dids/new", write, async (_request, reply) => renderCreateForm(reply, { form: { status: "in_stock", afterHoldStatus: "in_stock" } }));

  app.post<{ Body: Body }>("/dids/new", { bodyLimit: app.config.formBodyLimitBytes }, async (request, reply) => {
    const result = await service.createDids(app.db, request.actor!, request.body ?? {}, app.config.maxCreateDids);
    if (result.ok) {
      reply.setFlash(`Created ${result.created.toLocaleString("en-US")} ${result.created === 1 ? "DID" : "DIDs"}.`);
      return reply.redirectAfterPost(`/dids?batch=${result.batchId}`);
    }
    return renderCreateForm(reply, { form: result.form, errors: result.errors, conflicts: result.conflicts }, 422);
  });

  const renderEditForm = async (request: WithId, reply: FastifyReply, id: number, data: { back: string; form?: unknown; errors?: unknown }, status = 200) => {
    const page = await service.editDidPage(app.db, request.actor!, id);
    if (!page) return didNotFound(request, reply, id);
    const { did } = page;
    const form = data.form ?? { operatorId: did.operatorId, status: did.status, afterHoldStatus: did.afterHoldStatus, holdDays: did.holdDays, tag: did.tag, notes: did.notes };
    return reply.render(
      { page: "dids/edit" },
      { title: `DID ${did.number}`, tab: "dids", ...page, errors: {}, ...data, form, assigned: service.isAssigned(did), ...formOptions },
      status,
    );
  };

  // One page shows a DID: with its edit form for those who may change it, read only for
  // support. /dids/:id/edit is the same page for writers only.
  const showDid = async (request: WithId, reply: FastifyReply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    return renderEditForm(request, reply, id, { back: refererReturnUrl(request.headers.referer, request.headers.host, "/dids") });
  };
  app.get<{ Params: { id: string } }>("/dids/:id", showDid);
  app.get<{ Params: { id: string } }>("/dids/:id/edit", write, showDid);

  app.post<{ Params: { id: string }; Body: Body }>("/dids/:id/edit", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    const body = request.body ?? {};
    const result = await service.editDid(app.db, request.actor!, id, body);
    if (result.ok) {
      reply.setFlash("Saved.");
      return reply.redirectAfterPost(backToList(body.back));
    }
    if (result.status === 404) return didNotFound(request, reply, id);
    return renderEditForm(request, reply, id, { back: backToList(body.back), form: result.form, errors: result.errors }, 422);
  });

  app.get<{ Params: { id: string }; Querystring: Query }>("/dids/:id/delete", write, async (request, reply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    const did = await service.getDid(app.db, request.actor!, id);
    if (!did) return didNotFound(request, reply, id);
    return reply.render(
      { page: "dids/delete", fragment: "dids/_delete-dialog" },
      { title: `Delete DID ${did.number}`, tab: "dids", did, assigned: service.isAssigned(did), back: backToList(request.query.back) },
    );
  });

  app.post<{ Params: { id: string }; Body: Body }>("/dids/:id/delete", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    const back = backToList(request.body?.back);
    const result = await service.deleteDid(app.db, request.actor!, id);
    if (result.ok) {
      reply.setFlash(`Deleted DID ${result.number}.`);
      return reply.redirectAfterPost(back);
    }
    if (result.status === 404) return didNotFound(request, reply, id);
    return reply.render(
      { page: "dids/delete", fragment: "dids/_delete-dialog" },
      { title: `Delete DID ${result.did.number}`, tab: "dids", did: result.did, assigned: true, message: result.message, back },
      409,
    );
  });
}
