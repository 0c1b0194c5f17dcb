// Business rules for DIDs: which list a URL means, creating numbers and ranges, a single
// edit and delete, and mass edit and delete of a selection. The status rules themselves
// live in did-status-rules.ts. Every write runs in one transaction with its audit events
// (written by the repository's set-based statements through audit/audit-log.ts), so
// nothing is half-written and nothing changes without its events.
import { isConflictError, lockWaitMs } from "../../db/locked-transaction.js";
import type { Db } from "../../db/prisma.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor, Caller, Scope } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { recordAuditEvents } from "../audit/audit-log.js";
import { findAccountChoice, findClientChoice, listAccountChoices } from "../clients/clients.repo.js";
import { findOperator, holdOperator, listOperatorOptions } from "../operators/operators.repo.js";
import { parseDidListQuery, type DidListQuery } from "./did-filters.js";
import type { CreateDidsCommand, CreateDidsForm, EditDidCommand, EditDidForm, MassDeleteCommand, MassEditCommand } from "./did-forms.js";
import { parseDidNumbers } from "./did-numbers.js";
import type { DidSelection } from "./did-selection.js";
import { deleteRefusal, isAssigned, manualStatusRefusal, operatorChangeRefusal } from "./did-status-rules.js";
import * as repo from "./dids.repo.js";

export const conflictListLimit = 50;
const operatorGone = "That operator does not exist (any more). Choose another.";
/**
 * What a query names besides the option lists: the chosen client (whose name its text
 * field shows: clients are too many for a list), the account and the accounts to offer,
 * the batch. No query at all when the URL names none of them (the usual case).
 */
async function findChoices(db: Db, scope: Scope, filter: DidListQuery["filter"]) {
  const { clientId, accountId, batchId } = filter;
  const [client, account, batch] = await Promise.all([
    clientId !== undefined ? findClientChoice(db, scope, clientId) : undefined,
    accountId !== undefined ? findAccountChoice(db, scope, accountId) : undefined,
    batchId !== undefined ? repo.findBatch(db, scope, batchId) : undefined,
  ]);
  // The account field offers the chosen client's accounts (or the account's own client's).
  const accountClientId = client?.id ?? account?.clientId;
  const accounts = accountClientId !== undefined ? await listAccountChoices(db, accountClientId) : [];
  return { client, account, accounts, batch };
}

/** A list URL's query checked against what exists in the scope: its operator, reseller, client, account, package and batch. */
function checkQuery(parsed: ReturnType<typeof parseDidListQuery>, options: repo.ListOptions, choices: Awaited<ReturnType<typeof findChoices>>) {
  const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
  const query = parsed.query;
  const { operatorId, resellerId, clientId, accountId, packageId, batchId } = query.filter;
  if (operatorId !== undefined && !options.operators.some((o) => o.id === operatorId)) errors.operator = `There is no operator with ID ${operatorId}.`;
  if (resellerId !== undefined && !options.resellers.some((r) => r.id === resellerId)) errors.reseller = `There is no reseller with ID ${resellerId}.`;
  if (clientId !== undefined && !choices.client) errors.client = `There is no client with ID ${clientId}.`;
  if (accountId !== undefined && !choices.account) errors.account = `There is no client account with ID ${accountId}.`;
  if (packageId !== undefined && !options.packages.some((p) => p.id === packageId)) errors.package = `There is no package with ID ${packageId}.`;
  if (batchId !== undefined && !choices.batch) errors.batch = `There is no creation batch ${batchId}.`;
  return { valid: Object.keys(errors).length === 0, errors, query, ...options, ...choices };
}

/**
 * A list URL's query, parsed and checked as the inventory page checks it: its operator,
 * reseller, client and batch must exist in the scope. With the search form's choices.
 * The page and the export both read a URL through here, so they answer the same URL alike.
 */
export async function checkedListQuery(db: Db, actor: Actor, rawQuery: Record<string, unknown>) {
  const { scope } = actor;
  const parsed = parseDidListQuery(rawQuery);
  const [page, choices] = await Promise.all([repo.readListPage(db, scope, undefined, true, undefined), findChoices(db, scope, parsed.query.filter)]);
  return checkQuery(parsed, page.options, choices);
}

/**
 * The total that goes with a list page: exact, or (only where an exact count would cost a
 * scan of many rows) the planner's estimate, which the page shows as "about".
 */
export interface ListTotal {
  n: number;
  exact: boolean;
}

/** Default of COUNT_EXACT_UP_TO: searches the planner expects to match more are estimated. */
export const defaultCountExactUpTo = 100_000;

/**
 * Everything the inventory page and its fragment show for one URL: one statement reads the
 * option lists, the rows and, where it is cheap and exact, the total (the counters answer
 * no filter or statuses/operator/reseller; `count=exact` asks for count(*) whatever it costs).
 * Otherwise the total comes from the page itself when it is the last one, or else from the
 * planner: an exact count when it expects at most `countExactUpTo` matches, "about N" above.
 */
export async function didListPage(db: Db, actor: Actor, rawQuery: Record<string, unknown>, countExactUpTo = defaultCountExactUpTo) {
  const page = await confirmedDidListPage(db, actor, rawQuery, countExactUpTo, undefined);
  if (!page) throw new Error("the inventory page read without a session claim came back unconfirmed");
  return page;
}

/**
 * didListPage, its statement also confirming the request's session claim (`confirm`, see
 * plugins/auth.ts readWithSession). Undefined when it did not: nothing read may be shown.
 */
export async function confirmedDidListPage(db: Db, actor: Actor, rawQuery: Record<string, unknown>, countExactUpTo: number, confirm: Prisma.Sql | undefined) {
  const { scope } = actor;
  const parsed = parseDidListQuery(rawQuery);
  const { filter } = parsed.query;
  const totalFrom: repo.PageTotal = repo.countersAnswer(filter) ? "counters" : parsed.query.exactCount ? "count" : undefined;
  const [page, choices] = await Promise.all([
    repo.readListPage(db, scope, parsed.ok ? parsed.query : undefined, true, totalFrom, confirm),
    findChoices(db, scope, filter),
  ]);
  if (!page.confirmed) return undefined;
  const checked = checkQuery(parsed, page.options, choices);
  if (!checked.valid) return { ...checked, rows: [], total: 0, totalExact: true };
  const total = page.total !== undefined ? { n: page.total, exact: true } : await pageTotal(db, scope, checked.query, page.rows.length, countExactUpTo);
  return { ...checked, rows: page.rows, total: total.n, totalExact: total.exact };
}

async function pageTotal(db: Db, scope: Scope, query: DidListQuery, rowsShown: number, countExactUpTo: number): Promise<ListTotal> {
  const before = (query.page - 1) * query.per;
  // A page that is not full is the last one: the total is what came before it, plus it.
  if (rowsShown < query.per && (rowsShown > 0 || query.page === 1)) return { n: before + rowsShown, exact: true };
  const estimate = await repo.estimateDids(db, scope, query.filter);
  if (estimate <= countExactUpTo) return { n: await repo.countDids(db, scope, query.filter), exact: true };
  // Never less than the rows seen: a full page means at least one more.
  return { n: Math.max(estimate, before + rowsShown + (rowsShown === query.per ? 1 : 0)), exact: false };
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

/** A writer: who they are (scope) and the request their changes are recorded under. */
type Writer = Actor & Caller;

export async function createDids(db: Db, writer: Writer, command: CreateDidsCommand, maxNumbers: number): Promise<CreateDidsResult> {
  const { scope } = writer;
  const errors: FieldErrors = {};
  const parsed = parseDidNumbers(command.numbersText, maxNumbers);
  if (parsed.problems.length > 0) errors.numbers = parsed.problems.join("\n");
  // Checked here too (not only under the lock below) so that every field's message shows at once.
  if (!(await findOperator(db, scope, command.operatorId))) errors.operator = operatorGone;
  if (Object.keys(errors).length > 0) return { ok: false, form: command, errors };

  try {
    // A 100,000-number submission takes a few seconds: allow it more than Prisma's default 5 s.
    return await db.$transaction(
      async (tx): Promise<CreateDidsResult> => {
        // Held until commit: the operator cannot be deleted while its new DIDs are written.
        if (!(await holdOperator(tx, scope, command.operatorId))) {
          return { ok: false, form: command, errors: { operator: operatorGone } };
        }
        const found = await repo.findExistingNumbers(tx, scope, parsed.numbers);
        const existing = found.inScope;
        if ((existing.length > 0 || found.elsewhere > 0 || parsed.repeated.length > 0) && !command.skipExisting) {
          return {
            ok: false as const,
            form: command,
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
          return { ok: false as const, form: command, errors: { numbers: "All these numbers exist already: there is nothing to create." } };
        }
        const batchId = await repo.createOperation(tx, "create", writer);
        const created = await repo.insertDids(tx, { ...command, numbers: parsed.numbers, batchId }, command.skipExisting, writer);
        await repo.finishOperation(tx, batchId, created, parsed.numbers.length - created);
        return { ok: true as const, batchId, created };
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return {
      ok: false,
      form: command,
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

export { isAssigned };

export type EditDidResult = { ok: true } | { ok: false; status: 404 } | { ok: false; status: 422; form: EditDidForm; errors: FieldErrors };

/** One DID's edit: the same rules, statement and audit event as a mass edit of one DID. */
export async function editDid(db: Db, writer: Writer, id: number, command: EditDidCommand): Promise<EditDidResult> {
  const { scope } = writer;
  return db.$transaction(async (tx) => {
    const did = (await repo.lockDid(tx, scope, id)) ? await repo.findDid(tx, scope, id) : undefined;
    if (!did) return { ok: false as const, status: 404 as const };
    const errors: FieldErrors = {};
    const newOperator = await holdOperator(tx, scope, command.operatorId);
    if (!newOperator) errors.operator = operatorGone;
    else {
      const moved = operatorChangeRefusal(did, newOperator.resellerId);
      if (moved) errors.operator = moved.message;
    }
    const refusal = manualStatusRefusal(did, command.status);
    if (refusal) errors.status = refusal.message;
    const form = { ...command, tag: command.tag ?? undefined, notes: command.notes ?? undefined };
    if (Object.keys(errors).length > 0) return { ok: false as const, status: 422 as const, form, errors };
    const { notes, ...rest } = command;
    await repo.updateDids(tx, scope, { kind: "ids", ids: [id] }, { ...rest, notes: notes === null ? { mode: "clear" } : { mode: "set", text: notes } }, writer, "edit");
    // An admin moved the DID to another reseller's operator: the event above is the new
    // reseller's (it does not name the old operator); the old reseller keeps an event of
    // its own, which does not name the new one.
    const operator = await findOperator(tx, scope, command.operatorId);
    if (operator && operator.resellerId !== did.resellerId) {
      await recordAuditEvents(tx, writer, [
        { action: "edit", objectType: "did", objectId: id, resellerId: did.resellerId, label: did.number, changes: { operator: [did.operatorName, "(moved to another reseller)"] } },
      ]);
    }
    return { ok: true as const };
  });
}

export type DeleteDidResult = { ok: true; number: string } | { ok: false; status: 404 } | { ok: false; status: 409; message: string; did: repo.DidDetail };

export async function deleteDid(db: Db, writer: Writer, id: number): Promise<DeleteDidResult> {
  const { scope } = writer;
  return db.$transaction(async (tx) => {
    const did = (await repo.lockDid(tx, scope, id)) ? await repo.findDid(tx, scope, id) : undefined;
    if (!did) return { ok: false as const, status: 404 as const };
    const refusal = deleteRefusal(did);
    if (refusal) return { ok: false as const, status: 409 as const, message: refusal.message, did };
    await repo.deleteDids(tx, scope, { kind: "ids", ids: [id] }, writer, "delete");
    return { ok: true as const, number: did.number };
  });
}

/** What a mass edit or delete would do, or did. */
export type BulkOutcome =
  | { kind: "nothing-selected"; message: string }
  | { kind: "preview"; preview: repo.SelectionPreview }
  /** The selection now holds another number of DIDs than the confirmation showed. */
  | { kind: "count-changed"; preview: repo.SelectionPreview; expected: number; selection: DidSelection["kind"] }
  | { kind: "done"; outcome: repo.WriteOutcome }
  /** Another change held the same rows too long, or PostgreSQL broke a deadlock. */
  | { kind: "busy" };

export function nothingSelectedMessage(selection: DidSelection): string {
  return selection.kind === "search"
    ? "No DIDs match this search (any more): there is nothing to change."
    : "None of the selected DIDs exists (any more). Search again and select the DIDs.";
}

/** How long a mass change waits for rows another change holds before it says "try again". */
export const bulkLockTimeoutMs = lockWaitMs;

/** Thrown inside the transaction to roll back a write whose selection changed size. */
class SelectionChanged extends Error {
  constructor(readonly matched: number) {
    super("the selection changed");
  }
}

interface BulkWrite {
  preview: (db: Db) => Promise<repo.SelectionPreview>;
  write: (tx: Prisma.TransactionClient) => Promise<repo.WriteOutcome>;
  kind: "mass_edit" | "mass_delete";
}

/**
 * A mass change: its preview (nothing written), or the change itself. The write statement
 * locks and counts the selected rows; if it met another number of DIDs than the
 * confirmation showed, everything is rolled back and the new preview is shown to confirm.
 */
async function bulkChange(db: Db, writer: Writer, selection: DidSelection, expected: number | undefined, apply: boolean, change: BulkWrite, lockTimeoutMs: number): Promise<BulkOutcome> {
  if (!apply) {
    const preview = await change.preview(db);
    return preview.matched === 0 ? { kind: "nothing-selected", message: nothingSelectedMessage(selection) } : { kind: "preview", preview };
  }
  try {
    const outcome = await db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT set_config('lock_timeout', ${`${Math.max(1, Math.round(lockTimeoutMs))}ms`}, true)`;
        const written = await change.write(tx);
        if (written.matched === 0 || (expected !== undefined && written.matched !== expected)) throw new SelectionChanged(written.matched);
        if (written.changed > 0) await repo.recordOperation(tx, change.kind, writer, written.changed, written.matched - written.changed - written.unchanged);
        return written;
      },
      // 100,000 DIDs take seconds; a person waits for them, so allow a minute.
      { timeout: 60_000, maxWait: 10_000 },
    );
    return { kind: "done", outcome };
  } catch (error) {
    if (error instanceof SelectionChanged) {
      const preview = await change.preview(db);
      if (preview.matched === 0) return { kind: "nothing-selected", message: nothingSelectedMessage(selection) };
      return { kind: "count-changed", preview, expected: expected ?? 0, selection: selection.kind };
    }
    if (isConflictError(error)) return { kind: "busy" };
    throw error;
  }
}

/** The mass edit's preview (no write), or its application when `apply`. */
export function massEdit(db: Db, writer: Writer, command: MassEditCommand, apply: boolean, lockTimeoutMs = bulkLockTimeoutMs): Promise<BulkOutcome> {
  const { scope } = writer;
  const { selection, changes } = command;
  return bulkChange(db, writer, selection, command.expected, apply, {
    kind: "mass_edit",
    preview: (on) => repo.previewUpdate(on, scope, selection, changes),
    write: (tx) => repo.updateDids(tx, scope, selection, changes, writer, "mass_edit"),
  }, lockTimeoutMs);
}

/** The mass delete's preview (no write), or its application when `apply`. */
export function massDelete(db: Db, writer: Writer, command: MassDeleteCommand, apply: boolean, lockTimeoutMs = bulkLockTimeoutMs): Promise<BulkOutcome> {
  const { scope } = writer;
  const { selection } = command;
  return bulkChange(db, writer, selection, command.expected, apply, {
    kind: "mass_delete",
    preview: (on) => repo.previewDelete(on, scope, selection),
    write: (tx) => repo.deleteDids(tx, scope, selection, writer, "mass_delete"),
  }, lockTimeoutMs);
}

export type { DidListQuery };

/** How many DIDs a selection holds in the writer's scope (for the mass-edit form's title). */
export async function countSelection(db: Db, actor: Actor, selection: DidSelection): Promise<number> {
  return repo.countSelection(db, actor.scope, selection);
}
