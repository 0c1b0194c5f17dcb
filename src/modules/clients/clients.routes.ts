// Thin routes for the Clients tab: the list, a client's page with its accounts, and the
// name suggestions of the inventory's client field.
import { writerOf } from "../../plugins/auth.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId, type FieldErrors } from "../../shared/field-errors.js";
import { filterParams } from "../dids/did-filters.js";
import { clientListParams, clientListUrl, parseSuggestQuery } from "./client-filters.js";
import { defaultAccountName, parseAccountForm, parseCreateClientForm, parseEditClientForm, type AccountForm, type ClientForm } from "./client-forms.js";
import * as service from "./clients.service.js";

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;
type ClientParams = { id: string };
type AccountParams = { id: string; accountId: string };

const clientNotFound = (id: number) => ({ title: "Client not found", message: `There is no client with ID ${id}. It may have been deleted.` });
const accountNotFound = (id: number) => ({ title: "Account not found", message: `This client has no account with ID ${id}. It may have been deleted.` });
const badId = (what: string, raw: string) => ({ title: `Bad ${what} ID`, message: `“${clip(raw)}” is not ${what === "account" ? "an" : "a"} ${what} ID: IDs are whole numbers.` });

/** The ids in the URL, or a 400 page (undefined) when one is not an id. */
async function idsOr400(request: FastifyRequest<{ Params: Partial<AccountParams> }>, reply: FastifyReply): Promise<{ id: number; accountId: number } | undefined> {
  const { id: rawId = "", accountId: rawAccountId } = request.params;
  const id = parseId(rawId);
  if (id === undefined) {
    await renderError(request, reply, 400, badId("client", rawId));
    return undefined;
  }
  const accountId = rawAccountId === undefined ? 0 : parseId(rawAccountId);
  if (accountId === undefined) {
    await renderError(request, reply, 400, badId("account", rawAccountId!));
    return undefined;
  }
  return { id, accountId };
}

export default async function clientRoutes(app: FastifyInstance) {
  const write = { config: { access: "write" as const } };
  const form = { bodyLimit: smallFormBodyLimit };

  app.get<{ Querystring: Query }>("/clients", async (request, reply) => {
    const page = await service.clientListPage(app.db, request.actor!, request.query);
    if (request.wantsFragment && page.valid) reply.header("hx-push-url", clientListUrl(page.query));
    return reply.render(
      { page: "clients/list", fragment: "clients/_browser" },
      { ...page, title: "Clients", tab: "clients", clientListUrl, params: clientListParams },
      page.valid ? 200 : 400,
    );
  });

  // The inventory's client field asks for these as its text changes (a <datalist>).
  app.get<{ Querystring: Query }>("/clients/suggest", async (request, reply) => {
    const parsed = parseSuggestQuery(request.query, filterParams.clientName);
    const clients = parsed.ok ? await service.suggestClients(app.db, request.actor!, parsed.text) : [];
    return reply.render({ page: "clients/_suggestions" }, { clients }, parsed.ok ? 200 : 400);
  });

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, form: ClientForm, errors: FieldErrors = {}, status = 200) => {
    const { resellers } = await service.newClientPage(app.db, request.actor!);
    // One reseller to choose from (a reseller's user): it is chosen.
    const resellerId = form.resellerId ?? (resellers.length === 1 ? resellers[0]!.id : undefined);
    return reply.render(
      { page: "clients/new", fragment: "clients/_create-dialog" },
      { title: "New client", tab: "clients", resellers, form: { ...form, resellerId }, errors },
      status,
    );
  };

  app.get<{ Querystring: Query }>("/clients/new", write, async (request, reply) => {
    const preset = typeof request.query.reseller === "string" ? parseId(request.query.reseller) : undefined;
    return renderNew(request, reply, { resellerId: preset, accountName: defaultAccountName });
  });

  app.post<{ Body: Body }>("/clients/new", form, async (request, reply) => {
    const parsed = parseCreateClientForm(request.body ?? {});
    if (!parsed.ok) return renderNew(request, reply, parsed.form, parsed.errors, 422);
    const outcome = await service.createClient(app.db, writerOf(request), parsed.command);
    if (outcome.kind === "invalid") return renderNew(request, reply, { ...parsed.command, notes: parsed.command.notes ?? undefined }, outcome.errors, 422);
    reply.setFlash(`Created client “${outcome.name}” with the account “${parsed.command.accountName}”.`);
    return reply.redirectAfterPost(`/clients/${outcome.id}`);
  });

  /** The client page, or with htmx its accounts section (after adding an account failed). */
  const renderClient = async (request: FastifyRequest<{ Params: ClientParams }>, reply: FastifyReply, id: number, accountForm: AccountForm = {}, errors: FieldErrors = {}, status = 200) => {
    const page = await service.clientPage(app.db, request.actor!, id);
    if (!page) return renderError(request, reply, 404, clientNotFound(id));
    return reply.render(
      { page: "clients/show", fragment: status === 200 ? undefined : "clients/_accounts" },
      { title: `Client ${page.client.name}`, tab: "clients", ...page, accountForm, errors },
      status,
    );
  };

  app.get<{ Params: ClientParams }>("/clients/:id", async (request, reply) => {
    const ids = await idsOr400(request, reply);
    return ids ? renderClient(request, reply, ids.id) : reply;
  });

  const renderEdit = async (request: FastifyRequest<{ Params: ClientParams }>, reply: FastifyReply, id: number, form?: ClientForm, errors: FieldErrors = {}, status = 200) => {
    const client = await service.getClient(app.db, request.actor!, id);
    if (!client) return renderError(request, reply, 404, clientNotFound(id));
    return reply.render(
      { page: "clients/edit", fragment: "clients/_edit-dialog" },
      { title: `Edit client ${client.name}`, tab: "clients", client, form: form ?? { name: client.name, notes: client.notes ?? undefined }, errors },
      status,
    );
  };

  app.get<{ Params: ClientParams }>("/clients/:id/edit", write, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    return ids ? renderEdit(request, reply, ids.id) : reply;
  });

  app.post<{ Params: ClientParams; Body: Body }>("/clients/:id/edit", form, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    if (!ids) return reply;
    const parsed = parseEditClientForm(request.body ?? {});
    if (!parsed.ok) return renderEdit(request, reply, ids.id, parsed.form, parsed.errors, 422);
    const outcome = await service.editClient(app.db, writerOf(request), ids.id, parsed.command);
    if (outcome.kind === "not-found") return renderError(request, reply, 404, clientNotFound(ids.id));
    if (outcome.kind === "invalid") return renderEdit(request, reply, ids.id, { ...parsed.command, notes: parsed.command.notes ?? undefined }, outcome.errors, 422);
    reply.setFlash(outcome.kind === "saved" ? `Saved client “${outcome.name}”.` : "Nothing changed.");
    return reply.redirectAfterPost(`/clients/${ids.id}`);
  });

  app.get<{ Params: ClientParams }>("/clients/:id/delete", write, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    if (!ids) return reply;
    const client = await service.getClient(app.db, request.actor!, ids.id);
    if (!client) return renderError(request, reply, 404, clientNotFound(ids.id));
    return reply.render({ page: "clients/delete", fragment: "clients/_delete-dialog" }, { title: `Delete client ${client.name}`, tab: "clients", client, didCount: client.didCount });
  });

  app.post<{ Params: ClientParams }>("/clients/:id/delete", form, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    if (!ids) return reply;
    const outcome = await service.deleteClient(app.db, writerOf(request), ids.id);
    if (outcome.kind === "not-found") return renderError(request, reply, 404, clientNotFound(ids.id));
    if (outcome.kind === "in-use") {
      const { client, didCount } = outcome;
      return reply.render({ page: "clients/delete", fragment: "clients/_delete-dialog" }, { title: `Delete client ${client.name}`, tab: "clients", client, didCount }, 409);
    }
    reply.setFlash(`Deleted client “${outcome.name}”.`);
    return reply.redirectAfterPost("/clients");
  });

  app.post<{ Params: ClientParams; Body: Body }>("/clients/:id/accounts", form, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    if (!ids) return reply;
    const parsed = parseAccountForm(request.body ?? {});
    if (!parsed.ok) return renderClient(request, reply, ids.id, parsed.form, parsed.errors, 422);
    const outcome = await service.addAccount(app.db, writerOf(request), ids.id, parsed.command);
    if (outcome.kind === "not-found") return renderError(request, reply, 404, clientNotFound(ids.id));
    if (outcome.kind === "invalid") return renderClient(request, reply, ids.id, parsed.command, outcome.errors, 422);
    reply.setFlash(`Added the account “${outcome.name}”.`);
    return reply.redirectAfterPost(`/clients/${ids.id}`);
  });

  const renderAccountEdit = async (request: FastifyRequest<{ Params: AccountParams }>, reply: FastifyReply, ids: { id: number; accountId: number }, form?: AccountForm, errors: FieldErrors = {}, status = 200) => {
    const account = await service.getAccount(app.db, request.actor!, ids.id, ids.accountId);
    if (!account) return renderError(request, reply, 404, accountNotFound(ids.accountId));
    return reply.render(
      { page: "clients/account-edit", fragment: "clients/_account-edit-dialog" },
      { title: `Rename account ${account.name}`, tab: "clients", account, form: form ?? { name: account.name }, errors },
      status,
    );
  };

  app.get<{ Params: AccountParams }>("/clients/:id/accounts/:accountId/edit", write, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    return ids ? renderAccountEdit(request, reply, ids) : reply;
  });

  app.post<{ Params: AccountParams; Body: Body }>("/clients/:id/accounts/:accountId/edit", form, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    if (!ids) return reply;
    const parsed = parseAccountForm(request.body ?? {});
    if (!parsed.ok) return renderAccountEdit(request, reply, ids, parsed.form, parsed.errors, 422);
    const outcome = await service.renameAccount(app.db, writerOf(request), ids.id, ids.accountId, parsed.command);
    if (outcome.kind === "not-found") return renderError(request, reply, 404, accountNotFound(ids.accountId));
    if (outcome.kind === "invalid") return renderAccountEdit(request, reply, ids, parsed.command, outcome.errors, 422);
    reply.setFlash(outcome.kind === "done" ? `Renamed the account to “${outcome.name}”.` : "Nothing changed.");
    return reply.redirectAfterPost(`/clients/${ids.id}`);
  });

  app.get<{ Params: AccountParams }>("/clients/:id/accounts/:accountId/delete", write, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    if (!ids) return reply;
    const account = await service.getAccount(app.db, request.actor!, ids.id, ids.accountId);
    if (!account) return renderError(request, reply, 404, accountNotFound(ids.accountId));
    return reply.render({ page: "clients/account-delete", fragment: "clients/_account-delete-dialog" }, { title: `Delete account ${account.name}`, tab: "clients", account });
  });

  app.post<{ Params: AccountParams }>("/clients/:id/accounts/:accountId/delete", form, async (request, reply) => {
    const ids = await idsOr400(request, reply);
    if (!ids) return reply;
    const outcome = await service.deleteAccount(app.db, writerOf(request), ids.id, ids.accountId);
    if (outcome.kind === "not-found") return renderError(request, reply, 404, accountNotFound(ids.accountId));
    if (outcome.kind === "in-use") {
      const { account } = outcome;
      return reply.render({ page: "clients/account-delete", fragment: "clients/_account-delete-dialog" }, { title: `Delete account ${account.name}`, tab: "clients", account }, 409);
    }
    reply.setFlash(`Deleted the account “${outcome.name}”.`);
    return reply.redirectAfterPost(`/clients/${ids.id}`);
  });
}
