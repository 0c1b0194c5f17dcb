// Thin routes for a client's Subscriptions tab: the list, adding one, deactivating and
// reactivating. Without JavaScript each form posts and comes back to the tab; with htmx
// the tab's content is swapped in place with the outcome.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { writerOf } from "../../plugins/auth.js";
import { renderError } from "../../plugins/errors.js";
import { utcDay } from "../../shared/clock.js";
import { clip, parseId, type FieldErrors } from "../../shared/field-errors.js";
import { parseAddSubscriptionForm, type SubscriptionForm } from "./subscription-forms.js";
import * as service from "./subscriptions.service.js";

const stateLabels: Record<service.SubscriptionState, string> = { active: "Active", scheduled: "Active, not started yet", ended: "Ended (being deactivated)", inactive: "Inactive" };

export default async function subscriptionRoutes(app: FastifyInstance) {
  const badId = (what: string, raw: string) => ({ title: `Bad ${what} ID`, message: `“${clip(raw)}” is not a ${what} ID: IDs are whole numbers.` });
  const busy = { title: "Try again", message: "Another change to this client, subscription or its DIDs was in progress. Try again in a moment." };
  const clientNotFound = (id: number) => ({ title: "Client not found", message: `There is no client with ID ${id}. It may have been deleted.` });

  /** The tab, as a page or (htmx) its content, with an optional outcome message and the add form's state. */
  const renderTab = async (request: FastifyRequest, reply: FastifyReply, clientId: number, extra: { form?: SubscriptionForm; errors?: FieldErrors; message?: { text: string; error?: boolean } } = {}, status = 200) => {
    const page = await service.clientSubscriptionsPage(app.db, request.actor!, clientId, app.clock);
    if (!page) return renderError(request, reply, 404, clientNotFound(clientId));
    return reply.render(
      { page: "subscriptions/list", fragment: "subscriptions/_subscriptions" },
      { ...page, ...extra, title: `Subscriptions of ${page.client.name}`, tab: "clients", stateLabels, subscriptionState: service.subscriptionState },
      status,
    );
  };

  app.get<{ Params: { id: string } }>("/clients/:id/subscriptions", async (request, reply) => {
    const id = parseId(request.params.id);
    if (id === undefined) return renderError(request, reply, 400, badId("client", request.params.id));
    return renderTab(request, reply, id);
  });

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>("/clients/:id/subscriptions", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const id = parseId(request.params.id);
    if (id === undefined) return renderError(request, reply, 400, badId("client", request.params.id));
    const parsed = parseAddSubscriptionForm(id, request.body ?? {}, utcDay(app.clock.now()));
    if (!parsed.ok) return renderTab(request, reply, id, { form: parsed.form, errors: parsed.errors }, 422);
    const outcome = await service.addSubscription(app.db, writerOf(request), parsed.command);
    if (outcome.kind === "not-found") return renderError(request, reply, 404, clientNotFound(id));
    if (outcome.kind === "busy") return renderError(request, reply, 409, busy);
    if (outcome.kind === "invalid") return renderTab(request, reply, id, { form: { ...parsed.command, endDate: parsed.command.endDate ?? undefined }, errors: outcome.errors }, 422);
    return done(request, reply, id, "Subscription added.");
  });

  /** After a change: back to the tab (a redirect without JavaScript; the new content with htmx). */
  const done = (request: FastifyRequest, reply: FastifyReply, clientId: number, text: string) => {
    if (request.wantsFragment) return renderTab(request, reply, clientId, { message: { text } });
    reply.setFlash(text);
    return reply.redirect(`/clients/${clientId}/subscriptions`, 303);
  };

  for (const action of ["deactivate", "reactivate"] as const) {
    app.post<{ Params: { id: string } }>(`/subscriptions/:id/${action}`, { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
      const id = parseId(request.params.id);
      if (id === undefined) return renderError(request, reply, 400, badId("subscription", request.params.id));
      const writer = writerOf(request);
      const outcome = action === "deactivate" ? await service.deactivateSubscription(app.db, writer, id, app.clock) : await service.reactivateSubscription(app.db, writer, id, app.clock);
      if (outcome.kind === "not-found") return renderError(request, reply, 404, { title: "Subscription not found", message: `There is no subscription with ID ${id}.` });
      if (outcome.kind === "busy") return renderError(request, reply, 409, busy);
      if (outcome.kind === "refused") return renderError(request, reply, 409, { title: "Cannot reactivate", message: outcome.message });
      const { clientId, packageName } = outcome.subscription;
      const text =
        outcome.kind === "unchanged"
          ? `The subscription to ${packageName} was already ${action === "deactivate" ? "inactive" : "active"}.`
          : action === "deactivate"
            ? `Deactivated the subscription to ${packageName}: ${outcome.dids.length.toLocaleString("en-US")} ${outcome.dids.length === 1 ? "DID" : "DIDs"} put on hold or released.`
            : `Reactivated the subscription to ${packageName}: ${outcome.dids.length.toLocaleString("en-US")} ${outcome.dids.length === 1 ? "DID is" : "DIDs are"} active again.`;
      return done(request, reply, clientId, text);
    });
  }
}
