// Thin routes for a client's DIDs tab: the list, the picker (a GET search that htmx runs as
// you type) with its submission, and the per-DID actions. Without JavaScript each form
// posts and comes back to the tab; with htmx the tab's content is swapped in place.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { writerOf } from "../../plugins/auth.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId } from "../../shared/field-errors.js";
import { statusLabels } from "../dids/did-filters.js";
import { assignRefusalLabels } from "../dids/did-status-rules.js";
import { parseAssignForm, parseDidActionForm, parsePickerQuery, pickerUrl, type AssignForm, type PickerQuery } from "./assignment-forms.js";
import * as service from "./assignments.service.js";

type Message = { text: string; error?: boolean; items?: string[] };

export default async function assignmentRoutes(app: FastifyInstance) {
  const badId = (what: string, raw: string) => ({ title: `Bad ${what} ID`, message: `“${clip(raw)}” is not a ${what} ID: IDs are whole numbers.` });
  const clientNotFound = (id: number) => ({ title: "Client not found", message: `There is no client with ID ${id}. It may have been deleted.` });
  const busy = { title: "Try again", message: "Another change to these DIDs or this subscription was in progress. Try again in a moment." };
  const clientIdOf = (request: FastifyRequest<{ Params: { id: string } }>) => parseId(request.params.id);

  const renderTab = async (request: FastifyRequest, reply: FastifyReply, clientId: number, page: number, message?: Message, status = 200) => {
    const data = await service.clientDidsPage(app.db, request.actor!, clientId, page, app.clock);
    if (!data) return renderError(request, reply, 404, clientNotFound(clientId));
    return reply.render({ page: "assignments/dids", fragment: "assignments/_dids" }, { ...data, message, statusLabels, title: `DIDs of ${data.client.name}`, tab: "clients" }, status);
  };

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>("/clients/:id/dids", async (request, reply) => {
    const id = clientIdOf(request);
    if (id === undefined) return renderError(request, reply, 400, badId("client", request.params.id));
    const page = typeof request.query.page === "string" && request.query.page !== "" ? Number(request.query.page) : 1;
    if (!Number.isInteger(page) || page < 1 || page > 100_000) return renderError(request, reply, 400, { title: "Bad page", message: "Page must be a whole number from 1." });
    return renderTab(request, reply, id, page);
  });

  const write = { config: { access: "write" as const } };

  const renderPicker = async (request: FastifyRequest, reply: FastifyReply, clientId: number, query: PickerQuery, extra: { errors?: Record<string, string>; form?: AssignForm; message?: Message } = {}, status = 200) => {
    const data = await service.pickerPage(app.db, request.actor!, clientId, query, app.clock);
    if (!data) return renderError(request, reply, 404, clientNotFound(clientId));
    return reply.render(
      { page: "assignments/add", fragment: "assignments/_picker" },
      { ...data, ...extra, query, pickerUrl, title: `Add DIDs to ${data.client.name}`, tab: "clients" },
      status,
    );
  };

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>("/clients/:id/dids/add", write, async (request, reply) => {
    const id = clientIdOf(request);
    if (id === undefined) return renderError(request, reply, 400, badId("client", request.params.id));
    const { query, errors } = parsePickerQuery(request.query);
    const valid = Object.keys(errors).length === 0;
    if (request.wantsFragment && valid) reply.header("hx-push-url", pickerUrl(id, query));
    return renderPicker(request, reply, id, valid ? query : { page: 1, subscriptionId: query.subscriptionId }, { errors }, valid ? 200 : 400);
  });

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>("/clients/:id/dids/add", { bodyLimit: 512 * 1024 }, async (request, reply) => {
    const id = clientIdOf(request);
    if (id === undefined) return renderError(request, reply, 400, badId("client", request.params.id));
    const parsed = parseAssignForm(id, request.body ?? {});
    // The form carries the search it was ticked in: a refused submission shows the same list.
    const searched = parsePickerQuery(request.body ?? {});
    const query: PickerQuery = Object.keys(searched.errors).length === 0 ? searched.query : { page: 1, subscriptionId: parsed.ok ? parsed.command.subscriptionId : parsed.form.subscriptionId };
    if (!parsed.ok) return renderPicker(request, reply, id, query, { errors: parsed.errors, form: parsed.form }, 422);
    const form: AssignForm = { ...parsed.command, range: typeof request.body?.range === "string" ? request.body.range : undefined };
    const outcome = await service.assignDids(app.db, writerOf(request), parsed.command, app.clock);
    switch (outcome.kind) {
      case "not-found":
        return renderError(request, reply, 404, clientNotFound(id));
      case "busy":
        return renderError(request, reply, 409, busy);
      case "invalid":
        return renderPicker(request, reply, id, query, { errors: outcome.errors, form }, 422);
      case "over-limit":
        return renderPicker(request, reply, id, query, {
          form,
          message: { error: true, text: `The package allows ${outcome.left.toLocaleString("en-US")} more of its ${outcome.limit.toLocaleString("en-US")} DIDs; ${outcome.requested.toLocaleString("en-US")} were picked. Nothing was assigned.` },
        }, 409);
      case "refused":
        return renderPicker(request, reply, id, query, {
          form,
          message: {
            error: true,
            text: `${outcome.refusals.length.toLocaleString("en-US")} of the picked DIDs cannot be assigned, so nothing was:`,
            items: outcome.refusals.slice(0, 20).map((r) => `${r.number}: ${assignRefusalLabels[r.code]}`).concat(outcome.refusals.length > 20 ? [`and ${(outcome.refusals.length - 20).toLocaleString("en-US")} more`] : []),
          },
        }, 409);
      case "assigned": {
        const text = `Assigned ${outcome.dids.length.toLocaleString("en-US")} ${outcome.dids.length === 1 ? "DID" : "DIDs"}: they are active.`;
        reply.setFlash(text);
        return reply.redirectAfterPost(`/clients/${id}/dids`);
      }
    }
  });

  app.post<{ Params: { id: string; didId: string }; Body: Record<string, unknown> }>("/clients/:id/dids/:didId", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const id = parseId(request.params.id);
    if (id === undefined) return renderError(request, reply, 400, badId("client", request.params.id));
    const didId = parseId(request.params.didId);
    if (didId === undefined) return renderError(request, reply, 400, badId("DID", request.params.didId));
    const body = request.body ?? {};
    const page = typeof body.page === "string" && /^\d{1,6}$/.test(body.page) && Number(body.page) >= 1 ? Number(body.page) : 1;
    const parsed = parseDidActionForm(id, didId, body);
    const back = (message: Message, status: number) => {
      if (request.wantsFragment) return renderTab(request, reply, id, page, message, status);
      if (status >= 400) return renderError(request, reply, status, { title: "Not changed", message: message.text });
      reply.setFlash(message.text);
      return reply.redirect(`/clients/${id}/dids${page > 1 ? `?page=${page}` : ""}`, 303);
    };
    if (!parsed.ok) return back({ text: Object.values(parsed.errors)[0] ?? "Choose an action.", error: true }, 422);
    const outcome = await service.changeClientDid(app.db, writerOf(request), parsed.command, app.clock);
    switch (outcome.kind) {
      case "not-found":
        return renderError(request, reply, 404, { title: "DID not found", message: `This client has no DID with ID ${didId}. It may have been released or moved meanwhile.` });
      case "busy":
        return back({ text: busy.message, error: true }, 409);
      case "refused":
        return back({ text: outcome.message, error: true }, 409);
      case "invalid":
        return back({ text: Object.values(outcome.errors)[0]!, error: true }, 422);
      case "done": {
        const changed = outcome.dids[0];
        const verb = { block: "Blocked", unblock: "Unblocked", release: "Released", move: "Moved" }[parsed.command.action];
        const detail = changed && parsed.command.action === "release" ? `: now ${statusLabels[changed.newStatus].toLowerCase()}` : "";
        return back({ text: `${verb} DID ${outcome.number}${detail}.` }, 200);
      }
    }
  });
}
