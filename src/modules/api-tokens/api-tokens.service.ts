// API tokens of the routing API (admins only): create one (shown once, only its SHA-256
// kept) and revoke one. Each records its audit event in its own transaction; no event or
// log line ever carries a token or its hash. The API reads tokens through its own lookup.
import type { Db } from "../../db/prisma.js";
import { everything, type Actor, type Caller } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { recordAuditEvents, type FieldChanges } from "../audit/audit-log.js";
import { findReseller, listResellerOptions } from "../resellers/resellers.repo.js";
import type { CreateApiTokenCommand } from "./api-token-forms.js";
import { newApiToken } from "./api-token-secret.js";
import * as repo from "./api-tokens.repo.js";

export type { ApiTokenRow } from "./api-tokens.repo.js";

export async function apiTokenListPage(db: Db) {
  return { tokens: await repo.listApiTokens(db) };
}

/** What the new-token form needs besides the user's input. */
export async function newApiTokenPage(db: Db) {
  return { resellers: await listResellerOptions(db, everything) };
}

/** A create event's values, as the list shows them ("All resellers", "Default", "Any"). */
function createdFacts(command: CreateApiTokenCommand, resellerName: string | null): FieldChanges {
  return {
    name: [null, command.name],
    reseller: [null, resellerName ?? "All resellers"],
    rate_limit: [null, command.rateLimit ?? "Default"],
    allowed_networks: [null, command.allowedNetworks.length > 0 ? command.allowedNetworks.join(", ") : "Any"],
  };
}

export type CreateApiTokenOutcome =
  /** `token` is the bearer token: the caller shows it once and keeps it nowhere. */
  | { kind: "created"; id: number; name: string; token: string; prefix: string }
  | { kind: "invalid"; errors: FieldErrors };

export async function createApiToken(db: Db, caller: Actor & Caller, command: CreateApiTokenCommand): Promise<CreateApiTokenOutcome> {
  const { name, resellerId, rateLimit, allowedNetworks } = command;
  const reseller = resellerId === null ? null : await findReseller(db, everything, resellerId);
  if (reseller === undefined) return { kind: "invalid", errors: { reseller: "That reseller does not exist. Choose another." } };
  const secret = newApiToken();
  return db.$transaction(async (tx): Promise<CreateApiTokenOutcome> => {
    await repo.lockApiTokenNames(tx);
    if (await repo.activeApiTokenNameTaken(tx, name)) return { kind: "invalid", errors: { name: `An active token is already named “${name}”. Choose another name, or revoke that token first.` } };
    const created = await repo.createApiToken(tx, {
      name,
      resellerId,
      tokenHash: secret.hash,
      tokenPrefix: secret.prefix,
      rateLimit,
      allowedNetworks,
      createdById: caller.userId,
    });
    await recordAuditEvents(tx, caller, [
      { action: "create", objectType: "api_token", objectId: created.id, resellerId, label: name, changes: createdFacts(command, reseller?.name ?? null) },
    ]);
    return { kind: "created", id: created.id, name, token: secret.token, prefix: secret.prefix };
  });
}

/** One token as the list shows it (never its hash), for the revoke confirmation. */
export async function getApiToken(db: Db, id: number) {
  return repo.findApiToken(db, id);
}

export type RevokeApiTokenOutcome =
  | { kind: "revoked"; name: string }
  | { kind: "not-found" }
  /** Revoked before (by someone else, or a second click): nothing changed. */
  | { kind: "already-revoked"; token: repo.ApiTokenRow };

/** Revoked at once: the API reads revoked_at on every request, on every instance. */
export async function revokeApiToken(db: Db, caller: Actor & Caller, id: number): Promise<RevokeApiTokenOutcome> {
  return db.$transaction(async (tx): Promise<RevokeApiTokenOutcome> => {
    const token = (await repo.lockApiToken(tx, id)) ? await repo.findApiToken(tx, id) : undefined;
    if (!token) return { kind: "not-found" };
    if (token.revokedAt) return { kind: "already-revoked", token };
    await repo.revokeApiToken(tx, id, caller.userId);
    await recordAuditEvents(tx, caller, [
      { action: "revoke", objectType: "api_token", objectId: id, resellerId: token.resellerId, label: token.name, changes: { state: ["active", "revoked"] } },
    ]);
    return { kind: "revoked", name: token.name };
  });
}
