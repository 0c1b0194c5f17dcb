// Resellers: a plain list and create, enough for operators to belong somewhere.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor } from "../../shared/actor.js";
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import * as repo from "./resellers.repo.js";

export const resellerNameMaxLength = 100;

export async function resellerListPage(db: Db, actor: Actor) {
  return { resellers: await repo.listResellers(db, actor.scope) };
}

export type CreateResellerResult = { ok: true; id: number } | { ok: false; form: { name?: string }; errors: FieldErrors };

export async function createReseller(db: Db, body: Record<string, unknown>): Promise<CreateResellerResult> {
  const r = new FieldReader(body);
  const name = r.text("name", "Name", resellerNameMaxLength, { required: true });
  if (name && (await repo.resellerNameTaken(db, name))) r.fail("name", `A reseller named “${name}” exists already.`);
  if (!r.ok) return { ok: false, form: { name }, errors: r.errors };
  try {
    return { ok: true, id: (await repo.createReseller(db, name!)).id };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { ok: false, form: { name }, errors: { name: `A reseller named “${name}” exists already.` } };
  }
}
