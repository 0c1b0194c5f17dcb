// What the audit log page shows for one URL. The page is read only for everyone: there is
// nothing here to change, and the app never updates or deletes events.
import type { Db } from "../../db/prisma.js";
import type { Actor } from "../../shared/actor.js";
import { findUserIdByUsername } from "../users/users.repo.js";
import { parseAuditQuery, type ActorMatch } from "./audit-filters.js";
import * as repo from "./audit.repo.js";

export const operationKindLabels: Record<string, { noun: string; verb: string }> = {
  create: { noun: "creation", verb: "created" },
  mass_edit: { noun: "mass edit", verb: "changed" },
  mass_delete: { noun: "mass delete", verb: "deleted" },
};

/** See ActorMatch: a current user by id (indexed), anyone else by the name written then. */
export async function actorMatch(db: Db, name: string | undefined): Promise<ActorMatch | undefined> {
  if (name === undefined) return undefined;
  const userId = await findUserIdByUsername(db, name);
  return userId !== undefined ? { kind: "user", userId } : { kind: "name", name };
}

/** Everything the audit page and its fragment show for one URL. */
export async function auditPage(db: Db, actor: Actor, rawQuery: Record<string, unknown>) {
  const parsed = parseAuditQuery(rawQuery);
  const query = parsed.query;
  if (!parsed.ok) return { valid: false, errors: parsed.errors, query, events: [], older: false, operation: undefined };
  const { scope } = actor;
  const match = await actorMatch(db, query.filter.actor);
  const requestId = query.filter.requestId;
  const [{ events, older }, operation] = await Promise.all([
    repo.listAuditEvents(db, scope, query, match),
    requestId === undefined ? undefined : repo.findOperationSummary(db, scope, requestId),
  ]);
  return { valid: true, errors: {}, query, events, older, operation };
}
