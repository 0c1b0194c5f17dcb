// Thin routes for the DID inventory: validate, call the service, pick the template.
import { writerOf } from "../../plugins/auth.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { renderError } from "../../plugins/errors.js";
import { parseFormEncoded } from "../../shared/form-encoding.js";
import { clip, parseId, type FieldErrors } from "../../shared/field-errors.js";
import { refererReturnUrl, safeReturnUrl } from "../../shared/return-url.js";
import { clientShownParam, didStatuses, notesMaxLength, filterParams, hiddenSearchFields, isFiltered, listParams, listSearchParams, listUrl, pageSizes, searchFields, sortColumns } from "./did-filters.js";
import {
  afterHoldStatuses,
  createStatuses,
  maxHoldDays,
  notesModes,
  parseCreateDidsForm,
  parseEditDidForm,
  parseMassDeleteForm,
  massEditFields,
  parseMassEditForm,
  type MassEditForm,
} from "./did-forms.js";
import { parseSelectionForm, selectionFields, type SelectionForm } from "./did-selection.js";
import { refusalGroupLabels } from "./did-status-rules.js";
import type { WriteOutcome } from "./dids.repo.js";
import * as service from "./dids.service.js";

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;
type WithId = FastifyRequest<{ Params: { id: string } }>;

const formOptions = { createStatuses, afterHoldStatuses, didStatuses, maxHoldDays };
const backToList = (value: unknown) => safeReturnUrl(value, "/dids");

/** What the inventory page and its fragment render, for one list page. */
function listView(page: Awaited<ReturnType<typeof service.didListPage>>) {
  return {
    ...page,
    title: "DID inventory",
    tab: "dids",
    canonical: listUrl(page.query),
    listUrl,
    hiddenSearchFields,
    searchFields,
    filterParams,
    listParams,
    clientShownParam,
    pageSizes,
    sortColumns,
    didStatuses,
    filtered: isFiltered(page.query.filter),
  };
}

/** How a mass change's skipped DIDs are headed, by reason. */
const skipLabels = { ...refusalGroupLabels, "notes-too-long": `their notes would pass ${notesMaxLength.toLocaleString("en-US")} characters` };

const emptyMassEditForm: MassEditForm = { change: { status: false, tag: false, notes: false, holdDays: false, afterHold: false } };

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
  // The page twenty people may reload at once: its one statement also confirms the session.
  app.get<{ Querystring: Query }>("/dids", { config: { sessionInStatement: true } }, async (request, reply) => {
    const page = await request.readWithSession(reply, (actor, confirm) => service.confirmedDidListPage(app.db, actor, request.query, app.config.countExactUpTo, confirm));
    if (!page) return reply;
    const canonical = listUrl(page.query);
    // htmx pushes the canonical URL, so shared links carry no empty fields.
    if (request.wantsFragment && page.valid) reply.header("hx-push-url", canonical);
    return reply.render(
      { page: "dids/list", fragment: "dids/_browser" },
      listView(page),
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
    const parsed = parseCreateDidsForm(request.body ?? {});
    if (!parsed.ok) return renderCreateForm(reply, { form: parsed.form, errors: parsed.errors }, 422);
    const result = await service.createDids(app.db, writerOf(request), parsed.command, app.config.maxCreateDids);
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
    const parsed = parseEditDidForm(body);
    if (!parsed.ok) {
      // A DID that is not there is a 404 whatever the form says.
      if (!(await service.getDid(app.db, request.actor!, id))) return didNotFound(request, reply, id);
      return renderEditForm(request, reply, id, { back: backToList(body.back), form: parsed.form, errors: parsed.errors }, 422);
    }
    const result = await service.editDid(app.db, writerOf(request), id, parsed.command);
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
    const result = await service.deleteDid(app.db, writerOf(request), id);
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

  // Mass edit and mass delete of a selection: open (the form), preview (the confirmation:
  // "12,345 DIDs will change; 17 will be skipped"), apply. Without JavaScript each step is
  // a page; with htmx each is a dialog, and applying refreshes only the search area.
  // 10,000 ticked ids, with this page's ids and the search, fit in well under 512 KB.
  const bulkOptions = { bodyLimit: 512 * 1024 };

  /** After an applied mass change: the same search again, with what happened. */
  const showSearchAgain = async (request: FastifyRequest, reply: FastifyReply, selection: SelectionForm, message: string) => {
    const { query } = selection;
    if (!request.wantsFragment) {
      reply.setFlash(message);
      return reply.redirectAfterPost(listUrl(query));
    }
    // Parsed as a query string is: a repeated filter (two statuses) stays a list.
    const page = await service.didListPage(app.db, request.actor!, parseFormEncoded(listSearchParams(query).toString()), app.config.countExactUpTo);
    return reply.render(
      { page: "dids/list", fragment: "dids/_bulk-done" },
      { ...listView(page), notice: message },
    );
  };

  const renderMassEdit = (
    reply: FastifyReply,
    data: { selection: SelectionForm; form: MassEditForm; errors: FieldErrors; count?: number; preview?: unknown; notice?: string },
    status: number,
  ) =>
    reply.render(
      { page: "dids/mass-edit", fragment: "dids/_mass-edit-dialog" },
      {
        title: "Mass edit DIDs",
        tab: "dids",
        ...data,
        fields: selectionFields(data.selection),
        formFields: massEditFields(data.form),
        back: listUrl(data.selection.query),
        skipLabels,
        didStatuses,
        afterHoldStatuses,
        notesModes,
        maxHoldDays,
      },
      status,
    );

  app.post<{ Body: Body }>("/dids/mass-edit", bulkOptions, async (request, reply) => {
    const selected = parseSelectionForm(request.body ?? {});
    const selection = selected.value.selection;
    const count = selection ? await service.countSelection(app.db, request.actor!, selection) : 0;
    const errors = selection && count === 0 ? { selection: service.nothingSelectedMessage(selection) } : selected.errors;
    return renderMassEdit(reply, { selection: selected.value, form: emptyMassEditForm, errors, count }, Object.keys(errors).length > 0 ? 422 : 200);
  });

  // "Change the fields" on the confirmation: the form again, as it was filled in.
  app.post<{ Body: Body }>("/dids/mass-edit/change", bulkOptions, async (request, reply) => {
    const parsed = parseMassEditForm(request.body ?? {});
    return renderMassEdit(reply, { selection: parsed.selectionForm, form: parsed.form, errors: {} }, 200);
  });

  for (const step of ["preview", "apply"] as const) {
    app.post<{ Body: Body }>(`/dids/mass-edit/${step}`, bulkOptions, async (request, reply) => {
      const parsed = parseMassEditForm(request.body ?? {});
      if (!parsed.ok) return renderMassEdit(reply, { selection: parsed.selectionForm, form: parsed.form, errors: parsed.errors }, 422);
      const outcome = await service.massEdit(app.db, writerOf(request), parsed.command, step === "apply");
      const show = (data: { errors?: FieldErrors; preview?: unknown; notice?: string }, status: number) =>
        renderMassEdit(reply, { selection: parsed.selectionForm, form: parsed.form, errors: {}, ...data }, status);
      return answerBulk(request, reply, outcome, parsed.selectionForm, show, "Changed");
    });
  }

  const renderMassDelete = (reply: FastifyReply, data: { selection: SelectionForm; errors: FieldErrors; preview?: unknown; notice?: string }, status: number) =>
    reply.render(
      { page: "dids/mass-delete", fragment: "dids/_mass-delete-dialog" },
      { title: "Delete DIDs", tab: "dids", ...data, fields: selectionFields(data.selection), back: listUrl(data.selection.query), skipLabels },
      status,
    );

  /** A mass change's outcome as HTTP: the form or confirmation again, or the search after. */
  const answerBulk = (
    request: FastifyRequest,
    reply: FastifyReply,
    outcome: service.BulkOutcome,
    selection: SelectionForm,
    show: (data: { errors?: FieldErrors; preview?: unknown; notice?: string }, status: number) => FastifyReply | Promise<FastifyReply>,
    verb: "Changed" | "Deleted",
  ) => {
    switch (outcome.kind) {
      case "nothing-selected":
        return show({ errors: { selection: outcome.message } }, 422);
      case "preview":
        return show({ preview: outcome.preview }, 200);
      case "count-changed":
        return show({ preview: outcome.preview, notice: countChangedNotice(outcome.selection, outcome.expected, outcome.preview.matched) }, 409);
      case "busy":
        return show({ notice: busyNotice }, 409);
      case "done":
        return showSearchAgain(request, reply, selection, doneMessage(verb, outcome.outcome));
    }
  };

  // Opening the delete is its confirmation: there is nothing else to fill in.
  for (const [url, apply] of [["/dids/mass-delete", false], ["/dids/mass-delete/apply", true]] as const) {
    app.post<{ Body: Body }>(url, bulkOptions, async (request, reply) => {
      const parsed = parseMassDeleteForm(request.body ?? {});
      if (!parsed.ok) return renderMassDelete(reply, { selection: parsed.selectionForm, errors: parsed.errors }, 422);
      const outcome = await service.massDelete(app.db, writerOf(request), parsed.command, apply);
      const show = (data: { errors?: FieldErrors; preview?: unknown; notice?: string }, status: number) =>
        renderMassDelete(reply, { selection: parsed.selectionForm, errors: {}, ...data }, status);
      return answerBulk(request, reply, outcome, parsed.selectionForm, show, "Deleted");
    });
  }
}

const busyNotice = "Some of these DIDs were being changed by someone else at the same moment. Nothing was changed: try again.";

function countChangedNotice(selection: "ids" | "search", expected: number, now: number): string {
  const n = (count: number) => count.toLocaleString("en-US");
  const dids = (count: number) => `${n(count)} ${count === 1 ? "DID" : "DIDs"}`;
  const what = selection === "search" ? `This search now matches ${dids(now)}` : `Only ${dids(now)} of the selection still exist`;
  return `${what}, not ${n(expected)} as the confirmation showed: someone changed DIDs meanwhile. Nothing was changed. Check the numbers below and confirm again.`;
}

function doneMessage(verb: "Changed" | "Deleted", outcome: WriteOutcome): string {
  const n = (count: number) => count.toLocaleString("en-US");
  const skipped = outcome.matched - outcome.changed - outcome.unchanged;
  const parts = [`${verb} ${n(outcome.changed)} ${outcome.changed === 1 ? "DID" : "DIDs"}.`];
  if (outcome.unchanged > 0) parts.push(`${n(outcome.unchanged)} already had these values.`);
  if (skipped > 0) parts.push(`${n(skipped)} skipped (the rules did not allow it).`);
  return parts.join(" ");
}
