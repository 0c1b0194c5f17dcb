// Business rules for operators: unique names within a reseller, and no deleting an
// operator that still owns DIDs. Every write records its audit event in its transaction.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor, Caller } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { recordAuditEvents } from "../audit/audit-log.js";
import { findReseller, listResellerOptions } from "../resellers/resellers.repo.js";
import { parseOperatorListQuery } from "./operator-filters.js";
import type { CreateOperatorCommand } from "./operator-forms.js";
import * as repo from "./operators.repo.js";

export async function operatorListPage(db: Db, actor: Actor, rawQuery: Record<string, unknown>) {
  const parsed = parseOperatorListQuery(rawQuery);
  const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
  const resellers = await listResellerOptions(db, actor.scope);
  const { resellerId } = parsed.query.filter;
  if (resellerId !== undefined && !resellers.some((r) => r.id === resellerId)) errors.reseller = `There is no reseller with ID ${resellerId}.`;
  const valid = Object.keys(errors).length === 0;
  const { rows, total } = valid ? await repo.listOperators(db, actor.scope, parsed.query) : { rows: [], total: 0 };
  return { valid, errors, query: parsed.query, rows, total, resellers };
}

/** What the new-operator form needs besides the user's input. */
export async function newOperatorPage(db: Db, actor: Actor) {
  return { resellers: await listResellerOptions(db, actor.scope) };
}

export type CreateOperatorOutcome = { kind: "created"; id: number; name: string } | { kind: "invalid"; errors: FieldErrors };

export async function createOperator(db: Db, caller: Actor & Caller, command: CreateOperatorCommand): Promise<CreateOperatorOutcome> {
  const { name, resellerId } = command;
  const reseller = await findReseller(db, caller.scope, resellerId);
  if (!reseller) return { kind: "invalid", errors: { reseller: "That reseller does not exist. Choose another." } };
  const nameTaken = { kind: "invalid" as const, errors: { name: `This reseller already has an operator named “${name}”.` } };
  if (await repo.operatorNameTaken(db, resellerId, name)) return nameTaken;
  try {
    const operator = await db.$transaction(async (tx) => {
      const created = await repo.createOperator(tx, { name, resellerId });
      await recordAuditEvents(tx, caller, [
        { action: "create", objectType: "operator", objectId: created.id, resellerId, label: name, changes: { name: [null, name], reseller: [null, reseller.name] } },
      ]);
      return created;
    });
    return { kind: "created", id: operator.id, name };
  } catch (error) {
    // Two people creating the same name at once: the unique index decides.
    if (!isUniqueViolation(error)) throw error;
    return nameTaken;
  }
}

export async function getOperator(db: Db, actor: Actor, id: number) {
  const operator = await repo.findOperator(db, actor.scope, id);
  return operator ? { operator, didCount: await repo.countOperatorDids(db, id) } : undefined;
}

type OperatorWithReseller = NonNullable<Awaited<ReturnType<typeof repo.findOperator>>>;
export type DeleteOperatorOutcome =
  | { kind: "deleted"; name: string }
  | { kind: "not-found" }
  | { kind: "in-use"; operator: OperatorWithReseller; didCount: number };

export async function deleteOperator(db: Db, caller: Actor & Caller, id: number): Promise<DeleteOperatorOutcome> {
  return db.$transaction(async (tx): Promise<DeleteOperatorOutcome> => {
    // The lock makes DIDs being created for it wait, so the count below is final.
    const operator = (await repo.lockOperatorForDelete(tx, caller.scope, id)) ? await repo.findOperator(tx, caller.scope, id) : undefined;
    if (!operator) return { kind: "not-found" };
    const didCount = await repo.countOperatorDids(tx, id);
    if (didCount > 0) return { kind: "in-use", operator, didCount };
    await repo.deleteOperator(tx, caller.scope, id);
    // A delete keeps the last state as the olds.
    await recordAuditEvents(tx, caller, [
      { action: "delete", objectType: "operator", objectId: id, resellerId: operator.resellerId, label: operator.name, changes: { name: [operator.name, null], reseller: [operator.reseller.name, null] } },
    ]);
    return { kind: "deleted", name: operator.name };
  });
}
