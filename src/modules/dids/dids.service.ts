// Business rules for DIDs: which list a URL means, creating numbers and ranges, the
// status rules of a single edit, and when a DID may be deleted. Multi-row writes run in
// one transaction so that nothing is half-written.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { listClientOptions } from "../clients/clients.repo.js";
import { findOperator, holdOperator, listOperatorOptions } from "../operators/operators.repo.js";
import { listResellerOptions } from "../resellers/resellers.repo.js";
import { parseDidListQuery, type DidListQuery, type DidStatus } from "./did-filters.js";
import { parseCreateDidsForm, parseEditDidForm, type CreateDidsForm, type EditDidForm } from "./did-forms.js";
import { parseDidNumbers } from "./did-numbers.js";
import * as repo from "./dids.repo.js";

export const conflictListLimit = 50;
const operatorGone = "That operator does not exist (any more). Choose another.";

/** Everything the inventory page and its fragment show for one URL. */
export async function didListPage(db: Db, actor: Actor, rawQuery: Record<string, unknown>) {
  const { scope } = actor;
  const parsed = parseDidListQuery(rawQuery);
  const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
  const query = parsed.query;
  const [operators, resellers, clients] = await Promise.all([listOperatorOptions(db, scope), listResellerOptions(db, scope), listClientOptions(db, scope)]);
  const { operatorId, resellerId, clientId, batchId } = query.filter;
  if (operatorId !== undefined && !operators.some((o) => o.id === operatorId)) errors.operator = `There is no operator with ID ${operatorId}.`;
  if (resellerId !== undefined && !resellers.some((r) => r.id === resellerId)) errors.reseller = `There is no reseller with ID ${resellerId}.`;
  if (clientId !== undefined && !clients.some((c) => c.id === clientId)) errors.client = `There is no client with ID ${clientId}.`;
  const batch = batchId !== undefined ? await repo.findBatch(db, scope, batchId) : undefined;
  if (batchId !== undefined && !batch) errors.batch = `There is no creation batch ${batchId}.`;
  const valid = Object.keys(errors).length === 0;
  const { rows, total } = valid ? await repo.listDids(db, scope, query) : { rows: [], total: 0 };
  return { valid, errors, query, rows, total, operators, resellers, clients, batch };
}

export type CreateDidsResult =
  | { ok: true; batchId: number; created: number }
  | {
      ok: false;
      form: CreateDidsForm;
      errors: FieldErrors;
      /** Numbers that exist already or repeat in the input: the first 50 and the counts. */
      conflicts?: { existing: string[]; existingCount: number; unavailableCount: number; repeated: string[]; repeatedCount: number };
    };

export async function createDids(db: Db, actor: Actor, body: Record<string, unknown>, maxNumbers: number): Promise<CreateDidsResult> {
  const { scope } = actor;
  const { value: form, errors } = parseCreateDidsForm(body);
  // A field given twice already has its message; parsing it would only hide that.
  const parsed = errors.numbers ? undefined : parseDidNumbers(form.numbersText, maxNumbers);
  if (parsed && parsed.problems.length > 0) errors.numbers = parsed.problems.join("\n");
  // Checked here too (not only under the lock below) so that every field's message shows at once.
  if (form.operatorId !== undefined && !errors.operator && !(await findOperator(db, scope, form.operatorId))) {
    errors.operator = operatorGone;
  }
  if (!parsed || Object.keys(errors).length > 0) return { ok: false, form, errors };

  try {
    // A 100,000-number submission takes a few seconds: allow it more than Prisma's default 5 s.
    return await db.$transaction(
      async (tx): Promise<CreateDidsResult> => {
        // Held until commit: the operator cannot be deleted while its new DIDs are written.
        if (!(await holdOperator(tx, scope, form.operatorId!))) {
          return { ok: false, form, errors: { operator: operatorGone } };
        }
        const found = await repo.findExistingNumbers(tx, scope, parsed.numbers);
        const existing = found.inScope;
        if ((existing.length > 0 || found.elsewhere > 0 || parsed.repeated.length > 0) && !form.skipExisting) {
          return {
            ok: false as const,
            form,
            errors: { numbers: "Some numbers already exist or repeat in the input. Remove them, or tick “Skip numbers that already exist”." },
            conflicts: {
              existing: existing.slice(0, conflictListLimit),
              existingCount: existing.length,
              unavailableCount: found.elsewhere,
              repeated: parsed.repeated.slice(0, conflictListLimit),
              repeatedCount: parsed.repeated.length,
            },
          };
        }
        // Skipping: the insert itself leaves out what exists (ON CONFLICT DO NOTHING).
        if (existing.length + found.elsewhere >= parsed.numbers.length) {
          return { ok: false as const, form, errors: { numbers: "All these numbers exist already: there is nothing to create." } };
        }
        const batchId = await repo.createBatch(tx, "create", actor.userId);
        const created = await repo.insertDids(
          tx,
          {
            numbers: parsed.numbers,
            operatorId: form.operatorId!,
            status: form.status!,
            afterHoldStatus: form.afterHoldStatus!,
            tag: form.tag,
            notes: form.notes,
            batchId,
          },
          form.skipExisting,
        );
        await repo.setBatchCount(tx, batchId, created);
        return { ok: true as const, batchId, created };
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return {
      ok: false,
      form,
      errors: { numbers: "Someone created some of these numbers while you were submitting. Submit again to see which." },
    };
  }
}

/** What the create form needs besides the user's input. */
export async function newDidsPage(db: Db, actor: Actor) {
  return { operators: await listOperatorOptions(db, actor.scope) };
}

export async function getDid(db: Db, actor: Actor, id: number) {
  return repo.findDid(db, actor.scope, id);
}

export async function editDidPage(db: Db, actor: Actor, id: number) {
  const [did, operators] = await Promise.all([repo.findDid(db, actor.scope, id), listOperatorOptions(db, actor.scope)]);
  return did ? { did, operators } : undefined;
}

/** Assigned numbers belong to a customer: they change only through assignment. */
export function isAssigned(did: { clientAccountId: number | null }): boolean {
  return did.clientAccountId !== null;
}

const assignedStatuses: DidStatus[] = ["active", "blocked", "hold"];

/** Why a DID may not take a status, or undefined when it may. */
export function statusChangeProblem(did: { status: DidStatus; clientAccountId: number | null }, next: DidStatus): string | undefined {
  if (next === did.status) return undefined;
  if (isAssigned(did) && !assignedStatuses.includes(next)) {
    return "This DID is assigned to a client account: it can only be active, blocked or on hold until it is unassigned.";
  }
  if (!isAssigned(did) && (next === "active" || next === "hold")) {
    return `Only a DID assigned to a client account can be ${next === "active" ? "active" : "on hold"}.`;
  }
  return undefined;
}

export type EditDidResult = { ok: true } | { ok: false; status: 404 } | { ok: false; status: 422; form: EditDidForm; errors: FieldErrors };

export async function editDid(db: Db, actor: Actor, id: number, body: Record<string, unknown>, now = new Date()): Promise<EditDidResult> {
  const { value: form, errors } = parseEditDidForm(body);
  const { scope } = actor;
  return db.$transaction(async (tx) => {
    const did = (await repo.lockDid(tx, scope, id)) ? await repo.findDid(tx, scope, id) : undefined;
    if (!did) return { ok: false as const, status: 404 as const };
    if (form.operatorId !== undefined && !errors.operator && !(await holdOperator(tx, scope, form.operatorId))) {
      errors.operator = operatorGone;
    }
    if (form.status && !errors.status) {
      const problem = statusChangeProblem(did, form.status);
      if (problem) errors.status = problem;
    }
    if (Object.keys(errors).length > 0) return { ok: false as const, status: 422 as const, form, errors };
    const status = form.status!;
    const holdDays = form.holdDays ?? 0;
    // Entering hold starts the hold period; leaving it clears the end time.
    const holdUntil = status !== "hold" ? null : did.status === "hold" ? did.holdUntil : new Date(now.getTime() + holdDays * 86_400_000);
    await repo.updateDid(tx, scope, id, {
      operatorId: form.operatorId!,
      status,
      afterHoldStatus: form.afterHoldStatus!,
      holdDays,
      holdUntil,
      tag: form.tag ?? null,
      notes: form.notes ?? null,
    });
    return { ok: true as const };
  });
}

export type DeleteDidResult = { ok: true; number: string } | { ok: false; status: 404 } | { ok: false; status: 409; message: string; did: repo.DidDetail };

export async function deleteDid(db: Db, actor: Actor, id: number): Promise<DeleteDidResult> {
  const { scope } = actor;
  return db.$transaction(async (tx) => {
    const did = (await repo.lockDid(tx, scope, id)) ? await repo.findDid(tx, scope, id) : undefined;
    if (!did) return { ok: false as const, status: 404 as const };
    if (isAssigned(did)) {
      return {
        ok: false as const,
        status: 409 as const,
        message: `DID ${did.number} is assigned to ${did.clientName} / ${did.accountName} (${did.status}). Unassign it from the client before deleting it.`,
        did,
      };
    }
    await repo.deleteDid(tx, scope, id);
    return { ok: true as const, number: did.number };
  });
}

export type { DidListQuery };
