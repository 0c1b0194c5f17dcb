// A client's DIDs: picking them under a subscription, blocking, moving between the
// client's accounts, releasing, and the scheduler that ends holds. The rules are in
// did-status-rules.ts; every change locks its subscription (for assignments) and its DIDs
// before it checks them, so what it checked is what it writes.
import type { Db } from "../../db/prisma.js";
import { runLocked, type Busy } from "../../db/locked-transaction.js";
import type { Actor, Caller, Scope } from "../../shared/actor.js";
import { utcDay, type Clock } from "../../shared/clock.js";
import { assignRefusalCode, type AssignRefusalCode } from "../dids/did-status-rules.js";
import { findClientWithAccounts, holdAccount } from "../clients/clients.repo.js";
import { listOperatorOptions } from "../operators/operators.repo.js";
import * as subscriptions from "../subscriptions/subscriptions.repo.js";
import { inForce } from "../subscriptions/subscriptions.service.js";
import { maxPicked, pickerPerPage, type AssignCommand, type DidActionCommand, type PickerQuery } from "./assignment-forms.js";
import * as repo from "./assignments.repo.js";

type Writer = Actor & Caller;

export type AssignOutcome =
  | { kind: "assigned"; dids: repo.ChangedDid[] }
  | { kind: "not-found" }
  | { kind: "invalid"; errors: Record<string, string> }
  /** Some DIDs cannot be picked: nothing was assigned. */
  | { kind: "refused"; refusals: { number: string; code: AssignRefusalCode }[] }
  | { kind: "over-limit"; left: number; limit: number; requested: number }
  | Busy;

/**
 * Assigns the chosen DIDs (or every pickable DID of a number range) to one of the client's
 * accounts under one of its subscriptions in force: all of them or, when one cannot be
 * picked or the package's limit would be passed, none.
 */
export async function assignDids(db: Db, writer: Writer, command: AssignCommand, clock: Clock): Promise<AssignOutcome> {
  return runLocked(db, async (tx): Promise<AssignOutcome> => {
    const client = await findClientWithAccounts(tx, writer.scope, command.clientId);
    if (!client) return { kind: "not-found" };
    const account = client.accounts.find((a) => a.id === command.accountId);
    // Held until commit: an account deleted meanwhile is refused here, not by a foreign key.
    if (!account || !(await holdAccount(tx, client.id, account.id))) return { kind: "invalid", errors: { account: "Choose one of this client's accounts." } };
    // The subscription's lock queues every other assignment under it, and its deactivation.
    const subscription = await subscriptions.lockSubscription(tx, writer.scope, command.subscriptionId);
    const now = clock.now();
    if (!subscription || subscription.clientId !== client.id) return { kind: "invalid", errors: { subscription: "Choose one of this client's subscriptions." } };
    if (!inForce(subscription, utcDay(now))) {
      return { kind: "invalid", errors: { subscription: `The subscription to ${subscription.packageName} is not in force today: DIDs can be picked only under an active subscription.` } };
    }
    const target = { resellerId: client.resellerId, allowedTags: subscription.allowedTags };
    const ids = command.range ? await repo.pickableInRange(tx, target, command.range, maxPicked + 1) : command.didIds;
    if (ids.length > maxPicked) return { kind: "invalid", errors: { range: `The range holds more than ${maxPicked.toLocaleString("en-US")} DIDs that can be picked: pick at most that many at once.` } };
    if (ids.length === 0) return { kind: "invalid", errors: { dids: command.range ? "No DID in this range can be picked for this package." : "Tick at least one DID." } };
    const left = subscription.didLimit - (await repo.countSubscriptionDids(tx, subscription.id));
    if (ids.length > left) return { kind: "over-limit", left: Math.max(0, left), limit: subscription.didLimit, requested: ids.length };
    const locked = await repo.lockDids(tx, ids);
    const found = new Map(locked.map((d) => [d.id, d]));
    const refusals: { number: string; code: AssignRefusalCode }[] = [];
    for (const id of ids) {
      const did = found.get(id);
      // A DID outside the user's scope is, to them, one that does not exist.
      if (!did || (writer.scope.resellerId !== null && did.resellerId !== writer.scope.resellerId)) {
        refusals.push({ number: `ID ${id}`, code: "not-found" });
        continue;
      }
      const code = assignRefusalCode(did, target);
      if (code) refusals.push({ number: did.number, code });
    }
    if (refusals.length > 0) return { kind: "refused", refusals };
    return { kind: "assigned", dids: await repo.assignDids(tx, ids, account.id, subscription.id, now, writer) };
  });
}

export type DidActionOutcome =
  | { kind: "done"; dids: repo.ChangedDid[]; number: string }
  | { kind: "not-found" }
  | { kind: "refused"; message: string }
  | { kind: "invalid"; errors: Record<string, string> }
  | Busy;

/** Block, unblock, release or move one of the client's DIDs. */
export async function changeClientDid(db: Db, writer: Writer, command: DidActionCommand, clock: Clock): Promise<DidActionOutcome> {
  return runLocked(db, async (tx): Promise<DidActionOutcome> => {
    const client = await findClientWithAccounts(tx, writer.scope, command.clientId);
    if (!client) return { kind: "not-found" };
    const [did] = await repo.lockDids(tx, [command.didId]);
    if (!did || did.clientId !== client.id) return { kind: "not-found" };
    const refuse = (message: string): DidActionOutcome => ({ kind: "refused", message });
    if (did.status === "hold") return refuse(`DID ${did.number} is on hold: it takes its after-hold status when the hold ends.`);
    let changed: repo.ChangedDid[];
    switch (command.action) {
      case "block":
        if (did.status !== "active") return refuse(`DID ${did.number} is not active, so it cannot be blocked.`);
        changed = await repo.setBlocked(tx, did.id, true, writer);
        break;
      case "unblock":
        if (did.status !== "blocked") return refuse(`DID ${did.number} is not blocked.`);
        changed = await repo.setBlocked(tx, did.id, false, writer);
        break;
      case "release":
        changed = await repo.releaseDid(tx, did.id, clock.now(), writer);
        break;
      case "move": {
        const account = client.accounts.find((a) => a.id === command.accountId);
        if (!account || !(await holdAccount(tx, client.id, account.id))) return { kind: "invalid", errors: { account: "Choose another account of this client." } };
        if (account.id === did.clientAccountId) return { kind: "invalid", errors: { account: `DID ${did.number} is on this account already.` } };
        changed = await repo.moveDid(tx, did.id, account.id, writer);
        break;
      }
    }
    return { kind: "done", dids: changed, number: did.number };
  });
}

/** DIDs whose hold ends are processed this many per transaction. */
export const holdBatchSize = 5000;

/**
 * The scheduler's part: every DID whose hold has ended by now takes its after-hold status,
 * as "system", in batches (each its own transaction, rows taken with SKIP LOCKED, so that
 * two instances share the work and never do it twice). Catches up after downtime: it runs
 * until nothing has ended.
 */
/** `signal` (a job's): stops between batches, each a transaction of its own, by throwing. */
export async function endExpiredHolds(db: Db, caller: Caller, clock: Clock, batch = holdBatchSize, signal?: AbortSignal): Promise<number> {
  let ended = 0;
  for (;;) {
    signal?.throwIfAborted();
    const done = await db.$transaction((tx) => repo.endHolds(tx, clock.now(), batch, caller), { timeout: 120_000, maxWait: 10_000 });
    ended += done.length;
    if (done.length < batch) return ended;
  }
}

export type { Scope };

export const clientDidsPerPage = 50;

/** The client's DIDs tab: its DIDs, and whether DIDs can be added (an account and a subscription in force). */
export async function clientDidsPage(db: Db, actor: Actor, clientId: number, page: number, clock: Clock) {
  const client = await findClientWithAccounts(db, actor.scope, clientId);
  if (!client) return undefined;
  const today = utcDay(clock.now());
  const [list, subs] = await Promise.all([repo.listClientDids(db, clientId, page, clientDidsPerPage), subscriptions.listClientSubscriptions(db, clientId)]);
  const inForceNow = subs.filter((s) => inForce(s, today));
  return { client, ...list, page, per: clientDidsPerPage, canAdd: client.accounts.length > 0 && inForceNow.length > 0, subscriptionsInForce: inForceNow };
}

/** The picker: the client's accounts and subscriptions in force, and the DIDs the chosen subscription's package allows. */
export async function pickerPage(db: Db, actor: Actor, clientId: number, query: PickerQuery, clock: Clock) {
  const client = await findClientWithAccounts(db, actor.scope, clientId);
  if (!client) return undefined;
  const today = utcDay(clock.now());
  const inForceNow = (await subscriptions.listClientSubscriptions(db, clientId)).filter((s) => inForce(s, today));
  const subscription = inForceNow.find((s) => s.id === query.subscriptionId) ?? inForceNow[0];
  const operators = await listOperatorOptions(db, { resellerId: client.resellerId });
  const list = subscription
    ? await repo.listPickable(db, { resellerId: client.resellerId, allowedTags: subscription.allowedTags }, query, query.page, pickerPerPage)
    : { rows: [], more: false };
  return { client, subscriptions: inForceNow, subscription, operators, ...list, left: subscription ? Math.max(0, subscription.didLimit - subscription.held) : 0 };
}
