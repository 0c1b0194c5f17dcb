// Business rules for clients and their accounts: names unique within their reseller (a
// client's) or client (an account's), whatever their case; a client's reseller fixed at
// creation; nothing deleted while it holds DIDs. Every write records its audit events in
// its own transaction.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor, Caller } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { changedFields, recordAuditEvents, type AuditEventInput } from "../audit/audit-log.js";
import { findReseller, listResellerOptions } from "../resellers/resellers.repo.js";
import { parseClientListQuery } from "./client-filters.js";
import type { AccountCommand, CreateClientCommand, EditClientCommand } from "./client-forms.js";
import * as repo from "./clients.repo.js";

type Writer = Actor & Caller;

export async function clientListPage(db: Db, actor: Actor, rawQuery: Record<string, unknown>) {
  const parsed = parseClientListQuery(rawQuery);
  const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
  const resellers = await listResellerOptions(db, actor.scope);
  const { resellerId } = parsed.query.filter;
  if (resellerId !== undefined && !resellers.some((r) => r.id === resellerId)) errors.reseller = `There is no reseller with ID ${resellerId}.`;
  const valid = Object.keys(errors).length === 0;
  const { rows, total } = valid ? await repo.listClients(db, actor.scope, parsed.query) : { rows: [], total: 0 };
  return { valid, errors, query: parsed.query, rows, total, resellers };
}

export async function suggestClients(db: Db, actor: Actor, text: string | undefined) {
  return text === undefined ? [] : repo.suggestClients(db, actor.scope, text);
}

/** What the new-client form needs besides the user's input. */
export async function newClientPage(db: Db, actor: Actor) {
  return { resellers: await listResellerOptions(db, actor.scope) };
}

/** The client page: the client and its accounts, or nothing when it is not in scope. */
export async function clientPage(db: Db, actor: Actor, id: number) {
  const client = await repo.findClient(db, actor.scope, id);
  return client ? { client, accounts: await repo.listAccounts(db, id) } : undefined;
}

export async function getClient(db: Db, actor: Actor, id: number) {
  return repo.findClient(db, actor.scope, id);
}

export async function getAccount(db: Db, actor: Actor, clientId: number, accountId: number) {
  return repo.findAccount(db, actor.scope, clientId, accountId);
}

const accountLabel = (clientName: string, accountName: string) => `${clientName} / ${accountName}`;

function accountEvent(action: AuditEventInput["action"], account: { id: number; name: string }, client: { name: string; resellerId: number }, changes: AuditEventInput["changes"]): AuditEventInput {
  return { action, objectType: "account", objectId: account.id, resellerId: client.resellerId, label: accountLabel(client.name, account.name), changes };
}

const clientNameTaken = (name: string) => ({ kind: "invalid" as const, errors: { name: `This reseller already has a client named “${name}”.` } });
const accountNameTaken = (name: string) => ({ kind: "invalid" as const, errors: { name: `This client already has an account named “${name}”.` } });

export type CreateClientOutcome = { kind: "created"; id: number; name: string } | { kind: "invalid"; errors: FieldErrors };

export async function createClient(db: Db, writer: Writer, command: CreateClientCommand): Promise<CreateClientOutcome> {
  const { name, resellerId, notes, accountName } = command;
  const reseller = await findReseller(db, writer.scope, resellerId);
  if (!reseller) return { kind: "invalid", errors: { reseller: "That reseller does not exist. Choose another." } };
  if (await repo.clientNameTaken(db, resellerId, name)) return clientNameTaken(name);
  try {
    const id = await db.$transaction(async (tx) => {
      const client = await repo.createClient(tx, { name, resellerId, notes });
      const account = await repo.createAccount(tx, { clientId: client.id, resellerId, name: accountName });
      await recordAuditEvents(tx, writer, [
        { action: "create", objectType: "client", objectId: client.id, resellerId, label: name, changes: { name: [null, name], reseller: [null, reseller.name], notes: [null, notes] } },
        accountEvent("create", { id: account.id, name: accountName }, { name, resellerId }, { name: [null, accountName], client: [null, name] }),
      ]);
      return client.id;
    });
    return { kind: "created", id, name };
  } catch (error) {
    // Two people creating the same name at once: the unique index decides.
    if (!isUniqueViolation(error)) throw error;
    return clientNameTaken(name);
  }
}

export type EditClientOutcome = { kind: "saved"; name: string } | { kind: "unchanged"; name: string } | { kind: "not-found" } | { kind: "invalid"; errors: FieldErrors };

export async function editClient(db: Db, writer: Writer, id: number, command: EditClientCommand): Promise<EditClientOutcome> {
  try {
    return await db.$transaction(async (tx): Promise<EditClientOutcome> => {
      const client = (await repo.lockClient(tx, writer.scope, id)) ? await repo.findClient(tx, writer.scope, id) : undefined;
      if (!client) return { kind: "not-found" };
      const changes = changedFields({ name: client.name, notes: client.notes }, command, ["name", "notes"]);
      if (Object.keys(changes).length === 0) return { kind: "unchanged", name: client.name };
      if (changes.name && (await repo.clientNameTaken(tx, client.resellerId, command.name, id))) return clientNameTaken(command.name);
      await repo.updateClient(tx, id, command);
      await recordAuditEvents(tx, writer, [{ action: "edit", objectType: "client", objectId: id, resellerId: client.resellerId, label: command.name, changes }]);
      return { kind: "saved", name: command.name };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return clientNameTaken(command.name);
  }
}

export type DeleteClientOutcome = { kind: "deleted"; name: string } | { kind: "not-found" } | { kind: "in-use"; client: repo.ClientDetail; didCount: number };

/** Deletes a client with its accounts and subscriptions, unless a DID is on one of its accounts. */
export async function deleteClient(db: Db, writer: Writer, id: number): Promise<DeleteClientOutcome> {
  return db.$transaction(async (tx): Promise<DeleteClientOutcome> => {
    // The client, then its accounts: new accounts and DIDs assigned to them wait for
    // this transaction, or committed before the count below.
    const client = (await repo.lockClient(tx, writer.scope, id)) ? await repo.findClient(tx, writer.scope, id) : undefined;
    if (!client) return { kind: "not-found" };
    const accounts = await repo.lockAccounts(tx, id);
    const didCount = await repo.countClientDids(tx, id);
    if (didCount > 0) return { kind: "in-use", client, didCount };
    const subscriptions = await repo.listSubscriptionsForDelete(tx, id);
    await repo.deleteSubscriptions(tx, subscriptions.map((s) => s.id));
    await repo.deleteAccounts(tx, accounts.map((a) => a.id));
    await repo.deleteClient(tx, id);
    // A delete keeps the last state as the olds.
    const day = (date: Date) => date.toISOString().slice(0, 10);
    await recordAuditEvents(tx, writer, [
      ...subscriptions.map((s): AuditEventInput => ({
        action: "delete",
        objectType: "subscription",
        objectId: s.id,
        resellerId: client.resellerId,
        label: `${client.name} / ${s.packageName}`,
        changes: { package: [s.packageName, null], start_date: [day(s.startDate), null], ...(s.endDate ? { end_date: [day(s.endDate), null] } : {}) },
      })),
      ...accounts.map((a) => accountEvent("delete", a, client, { name: [a.name, null], client: [client.name, null] })),
      { action: "delete", objectType: "client", objectId: id, resellerId: client.resellerId, label: client.name, changes: { name: [client.name, null], reseller: [client.resellerName, null], notes: [client.notes, null] } },
    ]);
    return { kind: "deleted", name: client.name };
  });
}

export type AccountOutcome = { kind: "done"; name: string } | { kind: "unchanged"; name: string } | { kind: "not-found" } | { kind: "invalid"; errors: FieldErrors };

export async function addAccount(db: Db, writer: Writer, clientId: number, command: AccountCommand): Promise<AccountOutcome> {
  try {
    return await db.$transaction(async (tx): Promise<AccountOutcome> => {
      // Held until commit, so that the client cannot be deleted under its new account.
      const client = (await repo.lockClient(tx, writer.scope, clientId)) ? await repo.findClient(tx, writer.scope, clientId) : undefined;
      if (!client) return { kind: "not-found" };
      if (await repo.accountNameTaken(tx, clientId, command.name)) return accountNameTaken(command.name);
      const account = await repo.createAccount(tx, { clientId, resellerId: client.resellerId, name: command.name });
      await recordAuditEvents(tx, writer, [accountEvent("create", { id: account.id, name: command.name }, client, { name: [null, command.name], client: [null, client.name] })]);
      return { kind: "done", name: command.name };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return accountNameTaken(command.name);
  }
}

export async function renameAccount(db: Db, writer: Writer, clientId: number, accountId: number, command: AccountCommand): Promise<AccountOutcome> {
  try {
    return await db.$transaction(async (tx): Promise<AccountOutcome> => {
      const account = await repo.findAccount(tx, writer.scope, clientId, accountId, { lock: true });
      if (!account) return { kind: "not-found" };
      if (account.name === command.name) return { kind: "unchanged", name: command.name };
      if (await repo.accountNameTaken(tx, clientId, command.name, accountId)) return accountNameTaken(command.name);
      await repo.renameAccount(tx, accountId, command.name);
      const client = { name: account.clientName, resellerId: account.resellerId };
      await recordAuditEvents(tx, writer, [accountEvent("edit", { id: accountId, name: command.name }, client, { name: [account.name, command.name] })]);
      return { kind: "done", name: command.name };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return accountNameTaken(command.name);
  }
}

export type DeleteAccountOutcome = { kind: "deleted"; name: string } | { kind: "not-found" } | { kind: "in-use"; account: repo.AccountDetail };

export async function deleteAccount(db: Db, writer: Writer, clientId: number, accountId: number): Promise<DeleteAccountOutcome> {
  return db.$transaction(async (tx): Promise<DeleteAccountOutcome> => {
    // Locked before its DIDs are counted: an assignment to it waits, or is counted.
    const account = await repo.findAccount(tx, writer.scope, clientId, accountId, { lock: true });
    if (!account) return { kind: "not-found" };
    if (account.didCount > 0) return { kind: "in-use", account };
    await repo.deleteAccounts(tx, [accountId]);
    const client = { name: account.clientName, resellerId: account.resellerId };
    await recordAuditEvents(tx, writer, [accountEvent("delete", account, client, { name: [account.name, null], client: [account.clientName, null] })]);
    return { kind: "deleted", name: account.name };
  });
}
