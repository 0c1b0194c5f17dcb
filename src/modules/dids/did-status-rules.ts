// The DID status rules, in one place. Every path that changes a DID's status or removes
// a DID asks here: the single edit, the mass edit, delete, and later assignment, release
// and the hold scheduler. The table below is the rule; the README shows the same table.
//
// A person sets in stock, reserved, blocked or archive on an unassigned DID. Active and
// hold come only from assignment to a client account and from the end of a subscription.
// An assigned DID may go active <-> blocked by hand, and cannot be set to in stock,
// reserved or archive, nor deleted, until it is released.
import { Prisma } from "../../generated/prisma/client.js";
import { statusLabels, type DidStatus } from "./did-filters.js";

/** The statuses a person may set by hand, for an unassigned and for an assigned DID. */
export const manualStatusTable: Record<DidStatus, { unassigned: boolean; assigned: boolean }> = {
  in_stock: { unassigned: true, assigned: false },
  reserved: { unassigned: true, assigned: false },
  blocked: { unassigned: true, assigned: true },
  archive: { unassigned: true, assigned: false },
  active: { unassigned: false, assigned: true },
  hold: { unassigned: false, assigned: false },
};

/** Why a rule refuses: a code that groups refusals, and the sentence a person reads. */
export type RefusalCode = "needs-assignment" | "assigned" | "on-hold" | "assigned-delete" | "assigned-reseller";

export interface Refusal {
  code: RefusalCode;
  message: string;
}

/** What a rule needs to know about a DID. */
export interface DidForRules {
  number: string;
  status: DidStatus;
  clientAccountId: number | null;
  /** "Client / account", when assigned (named in refusals). */
  clientName?: string | null;
  accountName?: string | null;
}

export function isAssigned(did: { clientAccountId: number | null }): boolean {
  return did.clientAccountId !== null;
}

function owner(did: DidForRules): string {
  return did.clientName ? `${did.clientName} / ${did.accountName}` : "a client account";
}

/** The message of a refusal code for one DID (for groups, see refusalGroupLabel). */
export function refusalMessage(code: RefusalCode, did: DidForRules, next?: DidStatus): string {
  switch (code) {
    case "needs-assignment":
      return `Only a DID assigned to a client account can be ${statusLabels[next ?? "active"].toLowerCase()}: DID ${did.number} is not assigned.`;
    case "assigned":
      return `DID ${did.number} is assigned to ${owner(did)}: by hand it can only be active or blocked until it is released.`;
    case "on-hold":
      return `DID ${did.number} is on hold after ${owner(did)}'s package ended: it takes its after-hold status when the hold ends.`;
    case "assigned-delete":
      return `DID ${did.number} is assigned to ${owner(did)}. Release it from the client before deleting it.`;
    case "assigned-reseller":
      return `DID ${did.number} is assigned to ${owner(did)}: it can move only to an operator of the same reseller until it is released.`;
  }
}

/** How a group of refusals is headed in a confirmation ("17 will be skipped: ..."). */
export const refusalGroupLabels: Record<RefusalCode, string> = {
  "needs-assignment": "not assigned to a client account (active and hold come only from assignment)",
  assigned: "assigned to a client account (only active or blocked by hand until released)",
  "on-hold": "on hold after a package ended (they take their after-hold status when the hold ends)",
  "assigned-delete": "assigned to a client account (release them first)",
  "assigned-reseller": "assigned to a client account (they can move only to an operator of the same reseller until released)",
};

/** The rule's code for a person setting `next` on a DID, or undefined when allowed. */
export function manualStatusRefusalCode(current: DidStatus, assigned: boolean, next: DidStatus): RefusalCode | undefined {
  if (next === current) return undefined;
  if (current === "hold") return "on-hold";
  const allowed = manualStatusTable[next];
  if (assigned ? allowed.assigned : allowed.unassigned) return undefined;
  return assigned ? "assigned" : "needs-assignment";
}

/** Why a person may not set `next` on this DID, or undefined when they may. */
export function manualStatusRefusal(did: DidForRules, next: DidStatus): Refusal | undefined {
  const code = manualStatusRefusalCode(did.status, isAssigned(did), next);
  return code ? { code, message: refusalMessage(code, did, next) } : undefined;
}

/** Why a DID may not be deleted, or undefined when it may. */
export function deleteRefusal(did: DidForRules): Refusal | undefined {
  return isAssigned(did) ? { code: "assigned-delete", message: refusalMessage("assigned-delete", did) } : undefined;
}

/**
 * The same rules as SQL over `did d`, for set-based changes: an expression that is the
 * refusal code (text) or NULL. Built from the table above, so the two cannot disagree.
 */
export function manualStatusRefusalSql(next: DidStatus): Prisma.Sql {
  const allowed = manualStatusTable[next];
  const assignedCode = allowed.assigned ? Prisma.sql`NULL` : Prisma.sql`'assigned'`;
  const unassignedCode = allowed.unassigned ? Prisma.sql`NULL` : Prisma.sql`'needs-assignment'`;
  return Prisma.sql`CASE
    WHEN d.status = ${next}::"DidStatus" THEN NULL
    WHEN d.status = 'hold' THEN 'on-hold'
    WHEN d.client_account_id IS NOT NULL THEN ${assignedCode}
    ELSE ${unassignedCode} END`;
}

/**
 * An assigned DID stays with its client's reseller (the database refuses the rest too):
 * its operator may change only to one of the same reseller.
 */
export function operatorChangeRefusal(did: DidForRules & { resellerId: number }, newResellerId: number): Refusal | undefined {
  return isAssigned(did) && did.resellerId !== newResellerId ? { code: "assigned-reseller", message: refusalMessage("assigned-reseller", did) } : undefined;
}

/** The same rule as SQL over `did d`, for a change to operator `operatorId`: the refusal code or NULL. */
export function operatorChangeRefusalSql(operatorId: number): Prisma.Sql {
  return Prisma.sql`CASE WHEN d.client_account_id IS NOT NULL
    AND (SELECT reseller_id FROM operator WHERE id = d.operator_id) IS DISTINCT FROM (SELECT reseller_id FROM operator WHERE id = ${operatorId}) THEN 'assigned-reseller' END`;
}

/** Delete's rule as SQL over `did d`: the refusal code or NULL. */
export function deleteRefusalSql(): Prisma.Sql {
  return Prisma.sql`CASE WHEN d.client_account_id IS NOT NULL THEN 'assigned-delete' END`;
}

/** The statuses a person may pick for this DID in the edit form. */
export function manualStatusChoices(did: { status: DidStatus; clientAccountId: number | null }): DidStatus[] {
  return (Object.keys(manualStatusTable) as DidStatus[]).filter((s) => manualStatusRefusalCode(did.status, isAssigned(did), s) === undefined);
}

// ---------------------------------------------------------------------------------------
// Assignment and the hold lifecycle (assignments.service.ts runs them).
//
// | from                                  | event                              | to                                          |
// |---------------------------------------|------------------------------------|---------------------------------------------|
// | in stock, unassigned                  | assigned under an active subscription | active, with account and subscription     |
// | active                                | blocked by hand                    | blocked                                     |
// | blocked                               | unblocked by hand                  | active                                      |
// | active or blocked                     | released by hand                   | hold for its hold days, leaving the subscription; with 0 days its after-hold status, free |
// | active or blocked                     | its subscription deactivated (by hand or its end date) | hold for its hold days, keeping the subscription; with 0 days its after-hold status, free |
// | hold, keeping its subscription        | the subscription reactivated before the hold ends | active                           |
// | hold                                  | the hold ends (the scheduler)      | its after-hold status, free of the client   |
//
// Hold days: the DID's own when more than 0, else its package's default.

/** Why a DID cannot be picked for an account, in the order a refusal names them. */
export type AssignRefusalCode = "not-found" | "taken" | "on-hold" | "not-in-stock" | "other-reseller" | "tag-not-allowed";

export const assignRefusalLabels: Record<AssignRefusalCode, string> = {
  "not-found": "no longer exists",
  taken: "already taken by a client account",
  "on-hold": "on hold after a client's package ended",
  "not-in-stock": "not in stock",
  "other-reseller": "belongs to another reseller's operator",
  "tag-not-allowed": "does not carry a tag the package allows",
};

/** Only a DID in stock that no account holds can be picked; reserved, blocked and archived ones are kept back. */
export function assignRefusalCode(
  did: { status: DidStatus; clientAccountId: number | null; resellerId: number; tag: string | null },
  target: { resellerId: number; allowedTags: string[] },
): AssignRefusalCode | undefined {
  if (did.status === "hold") return "on-hold";
  if (did.clientAccountId !== null) return "taken";
  if (did.status !== "in_stock") return "not-in-stock";
  if (did.resellerId !== target.resellerId) return "other-reseller";
  if (target.allowedTags.length > 0 && (did.tag === null || !target.allowedTags.includes(did.tag))) return "tag-not-allowed";
  return undefined;
}

/** The same rule as SQL over `did d` and its operator `o`: true for the DIDs that may be picked. */
export function assignableSql(target: { resellerId: number; allowedTags: string[] }): Prisma.Sql {
  const tags = target.allowedTags.length === 0 ? Prisma.empty : Prisma.sql`AND d.tag = ANY(${target.allowedTags}::text[])`;
  return Prisma.sql`(d.status = 'in_stock' AND d.client_account_id IS NULL AND o.reseller_id = ${target.resellerId} ${tags})`;
}

/** The hold a release or a deactivation gives, over `did d` and its subscription's package `p` (0: none). */
export function effectiveHoldDaysSql(): Prisma.Sql {
  return Prisma.sql`CASE WHEN d.hold_days > 0 THEN d.hold_days ELSE coalesce(p.default_hold_days, 0) END`;
}
