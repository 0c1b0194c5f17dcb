// Business rules for operators: unique names within a reseller, and no deleting an
// operator that still owns DIDs.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor } from "../../shared/actor.js";
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import { findReseller, listResellerOptions } from "../resellers/resellers.repo.js";
import { operatorNameMaxLength, parseOperatorListQuery } from "./operator-filters.js";
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

export interface OperatorForm {
  name?: string;
  resellerId?: number;
}

export type CreateOperatorResult = { ok: true; id: number } | { ok: false; form: OperatorForm; errors: FieldErrors };

export async function createOperator(db: Db, actor: Actor, body: Record<string, unknown>): Promise<CreateOperatorResult> {
  const r = new FieldReader(body);
  const form: OperatorForm = { name: r.text("name", "Name", operatorNameMaxLength, { required: true }), resellerId: r.id("reseller", "a reseller", { required: true }) };
  const { errors } = r;
  if (form.resellerId !== undefined && !errors.reseller && !(await findReseller(db, actor.scope, form.resellerId))) errors.reseller = "That reseller does not exist. Choose another.";
  if (form.name && form.resellerId !== undefined && !errors.reseller && (await repo.operatorNameTaken(db, form.resellerId, form.name))) {
    errors.name = `This reseller already has an operator named “${form.name}”.`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, form, errors };
  try {
    const operator = await repo.createOperator(db, { name: form.name!, resellerId: form.resellerId! });
    return { ok: true, id: operator.id };
  } catch (error) {
    // Two people creating the same name at once: the unique index decides.
    if (!isUniqueViolation(error)) throw error;
    return { ok: false, form, errors: { name: `This reseller already has an operator named “${form.name}”.` } };
  }
}

export async function getOperator(db: Db, actor: Actor, id: number) {
  const operator = await repo.findOperator(db, actor.scope, id);
  return operator ? { operator, didCount: await repo.countOperatorDids(db, id) } : undefined;
}

type OperatorWithReseller = NonNullable<Awaited<ReturnType<typeof repo.findOperator>>>;
export type DeleteOperatorResult =
  | { ok: true; name: string }
  | { ok: false; status: 404 }
  | { ok: false; status: 409; operator: OperatorWithReseller; didCount: number };

export async function deleteOperator(db: Db, actor: Actor, id: number): Promise<DeleteOperatorResult> {
  return db.$transaction(async (tx) => {
    // The lock makes DIDs being created for it wait, so the count below is final.
    const operator = (await repo.lockOperatorForDelete(tx, actor.scope, id)) ? await repo.findOperator(tx, actor.scope, id) : undefined;
    if (!operator) return { ok: false as const, status: 404 as const };
    const didCount = await repo.countOperatorDids(tx, id);
    if (didCount > 0) return { ok: false as const, status: 409 as const, operator, didCount };
    await repo.deleteOperator(tx, actor.scope, id);
    return { ok: true as const, name: operator.name };
  });
}
