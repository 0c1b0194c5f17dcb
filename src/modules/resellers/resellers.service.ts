// Resellers: a plain list and create, enough for operators to belong somewhere. A create
// records its audit event in its transaction.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor, Caller } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { recordAuditEvents } from "../audit/audit-log.js";
import type { CreateResellerCommand } from "./reseller-forms.js";
import * as repo from "./resellers.repo.js";

export async function resellerListPage(db: Db, actor: Actor) {
  return { resellers: await repo.listResellers(db, actor.scope) };
}

export type CreateResellerOutcome = { kind: "created"; id: number; name: string } | { kind: "invalid"; errors: FieldErrors };

export async function createReseller(db: Db, caller: Caller, command: CreateResellerCommand): Promise<CreateResellerOutcome> {
  const { name } = command;
  const exists = { kind: "invalid" as const, errors: { name: `A reseller named “${name}” exists already.` } };
  if (await repo.resellerNameTaken(db, name)) return exists;
  try {
    const id = await db.$transaction(async (tx) => {
      const reseller = await repo.createReseller(tx, name);
      // The reseller's own id: its users may see that it was created.
      await recordAuditEvents(tx, caller, [{ action: "create", objectType: "reseller", objectId: reseller.id, resellerId: reseller.id, label: name, changes: { name: [null, name] } }]);
      return reseller.id;
    });
    return { kind: "created", id, name };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return exists;
  }
}
