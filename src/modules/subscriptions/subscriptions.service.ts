// Subscriptions: adding one to a client, deactivating it (its DIDs go on hold) and
// reactivating it (those whose hold has not ended come back), by hand or, when its end
// date passes, by the scheduler. Each locks the subscription row first, so an assignment
// under the same subscription runs wholly before or wholly after it: no DID ends active
// under an inactive subscription.
import type { Db } from "../../db/prisma.js";
import type { Actor, Caller, Scope } from "../../shared/actor.js";
import { utcDay, type Clock } from "../../shared/clock.js";
import { recordAuditEvents, type FieldChanges } from "../audit/audit-log.js";
import { holdSubscriptionDids, returnSubscriptionDids, type ChangedDid } from "../assignments/assignments.repo.js";
import { runLocked, type Busy } from "../../db/locked-transaction.js";
import { findClientWithAccounts, holdClient } from "../clients/clients.repo.js";
import * as repo from "./subscriptions.repo.js";
import type { AddSubscriptionCommand } from "./subscription-forms.js";

type Writer = Actor & Caller;

export type SubscriptionState = "active" | "scheduled" | "ended" | "inactive";

/** What a person reads: active and in force, active but not started yet, past its end day (until the scheduler runs), or deactivated. */
export function subscriptionState(s: Pick<repo.SubscriptionRow, "active" | "startDate" | "endDate">, today: string): SubscriptionState {
  if (!s.active) return "inactive";
  if (s.startDate > today) return "scheduled";
  if (s.endDate !== null && s.endDate < today) return "ended";
  return "active";
}

/** In force today: DIDs may be picked under it. */
export function inForce(s: Pick<repo.SubscriptionRow, "active" | "startDate" | "endDate">, today: string): boolean {
  return subscriptionState(s, today) === "active";
}

export async function clientSubscriptionsPage(db: Db, actor: Actor, clientId: number, clock: Clock) {
  const client = await findClientWithAccounts(db, actor.scope, clientId);
  if (!client) return undefined;
  const [subscriptions, packages] = await Promise.all([repo.listClientSubscriptions(db, clientId), repo.packagesForReseller(db, client.resellerId)]);
  return { client, subscriptions, packages, today: utcDay(clock.now()) };
}

function subscriptionLabel(clientName: string, packageName: string): string {
  return `${clientName} / ${packageName}`;
}

export type AddSubscriptionOutcome = { kind: "added"; id: number } | { kind: "not-found" } | { kind: "invalid"; errors: Record<string, string> } | Busy;

export async function addSubscription(db: Db, writer: Writer, command: AddSubscriptionCommand): Promise<AddSubscriptionOutcome> {
  return runLocked(db, async (tx): Promise<AddSubscriptionOutcome> => {
    // Both are held until commit, so a delete of either waits, or has happened and is seen.
    const client = (await holdClient(tx, command.clientId)) ? await findClientWithAccounts(tx, writer.scope, command.clientId) : undefined;
    if (!client) return { kind: "not-found" };
    const pkg = await repo.holdPackage(tx, command.packageId);
    if (!pkg || pkg.resellerId !== client.resellerId) return { kind: "invalid", errors: { package: "Choose one of the packages of this client's reseller." } };
    const id = await repo.insertSubscription(tx, { clientId: client.id, packageId: pkg.id, resellerId: client.resellerId, startDate: command.startDate, endDate: command.endDate });
    await recordAuditEvents(tx, writer, [
      {
        action: "create",
        objectType: "subscription",
        objectId: id,
        resellerId: client.resellerId,
        label: subscriptionLabel(client.name, pkg.name),
        changes: { client: [null, client.name], package: [null, pkg.name], start_date: [null, command.startDate], end_date: [null, command.endDate] },
      },
    ]);
    return { kind: "added", id };
  });
}

export type ActivationOutcome =
  | { kind: "done"; subscription: repo.SubscriptionRow; dids: ChangedDid[] }
  | { kind: "not-found" }
  | { kind: "unchanged"; subscription: repo.SubscriptionRow }
  | { kind: "refused"; message: string }
  | Busy;

/** Deactivates the subscription: its DIDs in use go on hold (or, with no hold days, back to their after-hold status). */
export function deactivateSubscription(db: Db, writer: Caller & { scope: Scope }, id: number, clock: Clock): Promise<ActivationOutcome> {
  return runLocked(db, async (tx): Promise<ActivationOutcome> => {
    const subscription = await repo.lockSubscription(tx, writer.scope, id);
    if (!subscription) return { kind: "not-found" };
    if (!subscription.active) return { kind: "unchanged", subscription };
    const now = clock.now();
    await repo.setSubscriptionActive(tx, id, false, now);
    const dids = await holdSubscriptionDids(tx, id, now, writer);
    await recordActivation(tx, writer, subscription, "deactivate", dids.length);
    return { kind: "done", subscription, dids };
  });
}

/** Reactivates it: DIDs still on hold after its deactivation are active again. */
export function reactivateSubscription(db: Db, writer: Writer, id: number, clock: Clock): Promise<ActivationOutcome> {
  return runLocked(db, async (tx): Promise<ActivationOutcome> => {
    const subscription = await repo.lockSubscription(tx, writer.scope, id);
    if (!subscription) return { kind: "not-found" };
    if (subscription.active) return { kind: "unchanged", subscription };
    const now = clock.now();
    const today = utcDay(now);
    if (subscription.endDate !== null && subscription.endDate < today) {
      return { kind: "refused", message: `This subscription ended on ${subscription.endDate}: add a new subscription instead of reactivating it.` };
    }
    await repo.setSubscriptionActive(tx, id, true, now);
    const dids = await returnSubscriptionDids(tx, id, now, writer);
    await recordActivation(tx, writer, subscription, "reactivate", dids.length);
    return { kind: "done", subscription, dids };
  });
}

async function recordActivation(tx: Parameters<typeof recordAuditEvents>[0], caller: Caller, s: repo.SubscriptionRow, action: "deactivate" | "reactivate", dids: number) {
  const [client] = await tx.$queryRaw<{ name: string }[]>`SELECT name FROM client WHERE id = ${s.clientId}`;
  const changes: FieldChanges = { active: [action === "reactivate" ? false : true, action === "reactivate"], dids: [null, dids] };
  await recordAuditEvents(tx, caller, [{ action, objectType: "subscription", objectId: s.id, resellerId: s.resellerId, label: subscriptionLabel(client?.name ?? "", s.packageName), changes }]);
}

/**
 * The scheduler's part: subscriptions whose end day has passed are deactivated, their
 * DIDs put on hold, as "system". One transaction per subscription, taken with SKIP LOCKED,
 * so that two instances never deactivate the same one.
 */
export async function deactivateEndedSubscriptions(db: Db, caller: Caller, clock: Clock, signal?: AbortSignal): Promise<{ subscriptions: number; dids: number }> {
  let subscriptions = 0;
  let dids = 0;
  for (;;) {
    // A job's stop: between subscriptions, each a transaction of its own.
    signal?.throwIfAborted();
    const outcome = await db.$transaction(async (tx) => {
      const [id] = await repo.lockEndedSubscriptions(tx, utcDay(clock.now()), 1);
      if (id === undefined) return undefined;
      const subscription = (await repo.lockSubscription(tx, { resellerId: null }, id))!;
      const now = clock.now();
      await repo.setSubscriptionActive(tx, id, false, now);
      const held = await holdSubscriptionDids(tx, id, now, caller);
      await recordActivation(tx, caller, subscription, "deactivate", held.length);
      return held.length;
    }, { timeout: 60_000, maxWait: 10_000 });
    if (outcome === undefined) return { subscriptions, dids };
    subscriptions++;
    dids += outcome;
  }
}
