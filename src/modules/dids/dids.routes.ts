// Thin routes for the DID inventory: validate, call the service, pick the template.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parseId } from "../../shared/field-errors.js";
import { renderError } from "../../plugins/errors.js";
import { listOperatorOptions } from "../operators/operators.repo.js";
import { isFiltered, listUrl, pageSizes, sortColumns, didStatuses } from "./did-filters.js";
import { afterHoldStatuses, createStatuses, maxHoldDays } from "./did-forms.js";
import * as service from "./dids.service.js";

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;
const smallFormLimit = 64 * 1024;

/** The DID id in the URL, or a 400 page when it is not one. */
async function didIdOr400(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<number | undefined> {
  const id = parseId(request.params.id);
  if (id === undefined) await renderError(request, reply, 400, { title: "Bad DID ID", message: `“${request.params.id.slice(0, 40)}” is not a DID ID: IDs are whole numbers.` });
  return id;
}

/** Where to go back after an edit: the inventory URL the user came from, never elsewhere. */
function backUrl(value: unknown): string {
  return typeof value === "string" && /^\/dids(\?[^\s]*)?$/.test(value) && value.length < 2000 ? value : "/dids";
}

function refererBack(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (!referer) return "/dids";
  try {
    const url = new URL(referer);
    const sameHost = url.host === new URL(`${url.protocol}//${request.headers.host ?? ""}`).host;
    return sameHost ? backUrl(url.pathname + url.search) : "/dids";
  } catch {
    return "/dids";
  }
}

const formOptions = { createStatuses, afterHoldStatuses, didStatuses, maxHoldDays };

export default async function didRoutes(app: FastifyInstance) {
  app.get<{ Querystring: Query }>("/dids", async (request, reply) => {
    const page = await service.didListPage(app.db, request.query);
    const canonical = listUrl(page.query);
    // htmx pushes the canonical URL, so shared links carry no empty fields.
    if (request.wantsFragment && page.valid) reply.header("hx-push-url", canonical);
    return reply.render(
      { page: "dids/list", fragment: "dids/_browser" },
      { ...page, title: "DID inventory", tab: "dids", canonical, listUrl, pageSizes, sortColumns, didStatuses, filtered: isFiltered(page.query.filter) },
      page.valid ? 200 : 400,
    );
  });

  app.get("/dids/new", async (request, reply) => {
    const operators = await listOperatorOptions(app.db);
    return reply.render(
      { page: "dids/new", fragment: "dids/_create-dialog" },
      { title: "New DIDs", tab: "dids", operators, form: { status: "in_stock", afterHoldStatus: "in_stock" }, errors: {}, maxCreate: app.config.maxCreateDids, ...formOptions },
    );
  });

  app.post<{ Body: Body }>("/dids/new", { bodyLimit: app.config.formBodyLimitBytes }, async (request, reply) => {
    const result = await service.createDids(app.db, request.body ?? {}, app.config.maxCreateDids);
    if (result.ok) {
      reply.setFlash(`Created ${result.created.toLocaleString("en-US")} ${result.created === 1 ? "DID" : "DIDs"}.`);
      return reply.redirectAfterPost(`/dids?batch=${result.batchId}`);
    }
    const operators = await listOperatorOptions(app.db);
    return reply.render(
      { page: "dids/new", fragment: "dids/_create-dialog" },
      { title: "New DIDs", tab: "dids", operators, form: result.form, errors: result.errors, conflicts: result.conflicts, maxCreate: app.config.maxCreateDids, ...formOptions },
      422,
    );
  });

  app.get<{ Params: { id: string } }>("/dids/:id/edit", async (request, reply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    const page = await service.editDidPage(app.db, id);
    if (!page) return renderError(request, reply, 404, { title: "DID not found", message: `There is no DID with ID ${id}. It may have been deleted.` });
    const { did } = page;
    return reply.render(
      { page: "dids/edit" },
      { title: `DID ${did.number}`, tab: "dids", ...page, back: refererBack(request), errors: {}, assigned: service.isAssigned(did), ...formOptions,
        form: { operatorId: did.operatorId, status: did.status, afterHoldStatus: did.afterHoldStatus, holdDays: did.holdDays, tag: did.tag, notes: did.notes } },
    );
  });

  app.post<{ Params: { id: string }; Body: Body }>("/dids/:id/edit", { bodyLimit: smallFormLimit }, async (request, reply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    const body = request.body ?? {};
    const result = await service.editDid(app.db, id, body);
    if (result.ok) {
      reply.setFlash("Saved.");
      return reply.redirectAfterPost(backUrl(body.back));
    }
    if (result.status === 404) return renderError(request, reply, 404, { title: "DID not found", message: `There is no DID with ID ${id}. It may have been deleted.` });
    const page = await service.editDidPage(app.db, id);
    if (!page) return renderError(request, reply, 404);
    return reply.render(
      { page: "dids/edit" },
      { title: `DID ${page.did.number}`, tab: "dids", ...page, back: backUrl(body.back), errors: result.errors, form: result.form, assigned: service.isAssigned(page.did), ...formOptions },
      422,
    );
  });

  app.get<{ Params: { id: string } }>("/dids/:id/delete", async (request, reply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    const did = await service.getDid(app.db, id);
    if (!did) return renderError(request, reply, 404, { title: "DID not found", message: `There is no DID with ID ${id}. It may have been deleted.` });
    return reply.render(
      { page: "dids/delete", fragment: "dids/_delete-dialog" },
      { title: `Delete DID ${did.number}`, tab: "dids", did, assigned: service.isAssigned(did), back: backUrl((request.query as Query).back) },
    );
  });

  app.post<{ Params: { id: string }; Body: Body }>("/dids/:id/delete", { bodyLimit: smallFormLimit }, async (request, reply) => {
    const id = await didIdOr400(request, reply);
    if (id === undefined) return reply;
    const back = backUrl(request.body?.back);
    const result = await service.deleteDid(app.db, id);
    if (result.ok) {
      reply.setFlash(`Deleted DID ${result.number}.`);
      return reply.redirectAfterPost(back);
    }
    if (result.status === 404) return renderError(request, reply, 404, { title: "DID not found", message: `There is no DID with ID ${id}. It may have been deleted already.` });
    const did = await service.getDid(app.db, id);
    return reply.render(
      { page: "dids/delete", fragment: "dids/_delete-dialog" },
      { title: `Delete DID ${did?.number ?? id}`, tab: "dids", did, assigned: true, message: result.message, back },
      409,
    );
  });
}
