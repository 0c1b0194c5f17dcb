// Business rules for packages: names unique within a reseller (ignoring case), a package
// stays with its reseller, its DID limit never drops below what one of its subscriptions
// holds, and no deleting a package that a subscription refers to. Every write records its
// audit events in its own transaction.
import type { Db } from "../../db/prisma.js";
import { isUniqueViolation } from "../../db/prisma.js";
import type { Actor, Caller } from "../../shared/actor.js";
import type { FieldErrors } from "../../shared/field-errors.js";
import { changedFields, recordAuditEvents, type AuditAction, type FieldChanges } from "../audit/audit-log.js";
import { findReseller, listResellerOptions } from "../resellers/resellers.repo.js";
import { parsePackageListQuery } from "./package-filters.js";
import { tagsText, type CreatePackageCommand, type EditPackageCommand, type PackageFields } from "./package-forms.js";
import * as repo from "./packages.repo.js";

export async function packageListPage(db: Db, actor: Actor, rawQuery: Record<string, unknown>) {
  const parsed = parsePackageListQuery(rawQuery);
  const errors: FieldErrors = parsed.ok ? {} : { ...parsed.errors };
  const resellers = await listResellerOptions(db, actor.scope);
  const { resellerId } = parsed.query.filter;
  // Another reseller's id answers as one that does not exist.
  if (resellerId !== undefined && !resellers.some((r) => r.id === resellerId)) errors.reseller = `There is no reseller with ID ${resellerId}.`;
  const valid = Object.keys(errors).length === 0;
  const { rows, total } = valid ? await repo.listPackages(db, actor.scope, parsed.query) : { rows: [], total: 0 };
  return { valid, errors, query: parsed.query, rows, total, resellers };
}

/** What the new-package form needs besides the user's input. */
export async function newPackagePage(db: Db, actor: Actor) {
  return { resellers: await listResellerOptions(db, actor.scope) };
}

const auditFields = ["name", "reseller", "did_limit", "allowed_tags", "default_hold_days"] as const;

/** The fields of a package as its events show them: the reseller by name, the tags as the form writes them. */
function facts(fields: PackageFields, resellerName: string) {
  return {
    name: fields.name,
    reseller: resellerName,
    did_limit: fields.didLimit,
    allowed_tags: fields.allowedTags.length > 0 ? tagsText(fields.allowedTags) : null,
    default_hold_days: fields.defaultHoldDays,
  };
}

function packageEvent(action: AuditAction, pkg: { id: number; name: string; resellerId: number }, changes: FieldChanges) {
  return { action, objectType: "package" as const, objectId: pkg.id, resellerId: pkg.resellerId, label: pkg.name, changes };
}

const nameTaken = (name: string): FieldErrors => ({ name: `This reseller already has a package named “${name}”.` });

export type CreatePackageOutcome = { kind: "created"; id: number; name: string } | { kind: "invalid"; errors: FieldErrors };

export async function createPackage(db: Db, caller: Actor & Caller, command: CreatePackageCommand): Promise<CreatePackageOutcome> {
  const { name, resellerId, didLimit, allowedTags, defaultHoldDays } = command;
  // Another reseller's id answers as one that does not exist.
  const reseller = await findReseller(db, caller.scope, resellerId);
  if (!reseller) return { kind: "invalid", errors: { reseller: "That reseller does not exist. Choose another." } };
  if (await repo.packageNameTaken(db, resellerId, name)) return { kind: "invalid", errors: nameTaken(name) };
  try {
    const created = await db.$transaction(async (tx) => {
      const pkg = await repo.createPackage(tx, { name, resellerId, didLimit, allowedTags, defaultHoldDays });
      await recordAuditEvents(tx, caller, [packageEvent("create", pkg, changedFields(null, facts(command, reseller.name), auditFields))]);
      return pkg;
    });
    return { kind: "created", id: created.id, name };
  } catch (error) {
    // Two people creating the same name at once: the unique index decides.
    if (!isUniqueViolation(error)) throw error;
    return { kind: "invalid", errors: nameTaken(name) };
  }
}

/** A package in scope with its subscription counts (the edit and delete pages), or undefined. */
export async function getPackage(db: Db, actor: Actor, id: number) {
  const pkg = await repo.findPackage(db, actor.scope, id);
  return pkg ? { package: pkg, subscriptions: await repo.countSubscriptions(db, id) } : undefined;
}

export type EditPackageOutcome = { kind: "saved"; name: string } | { kind: "not-found" } | { kind: "invalid"; errors: FieldErrors };

export async function editPackage(db: Db, caller: Actor & Caller, id: number, command: EditPackageCommand): Promise<EditPackageOutcome> {
  const { name, didLimit, allowedTags, defaultHoldDays } = command;
  try {
    return await db.$transaction(async (tx): Promise<EditPackageOutcome> => {
      const pkg = await repo.lockPackage(tx, caller.scope, id);
      if (!pkg) return { kind: "not-found" };
      const errors: FieldErrors = {};
      if (command.resellerId !== undefined && command.resellerId !== pkg.resellerId) {
        errors.reseller = "A package stays with its reseller. Create a new package for the other reseller instead.";
      }
      if (await repo.packageNameTaken(tx, pkg.resellerId, name, id)) Object.assign(errors, nameTaken(name));
      if (didLimit < pkg.didLimit) {
        const most = await repo.mostDidsInOneSubscription(tx, id);
        if (didLimit < most) {
          const count = most.toLocaleString("en-US");
          errors.did_limit = `A subscription to this package already holds ${count} ${most === 1 ? "DID" : "DIDs"}: the limit cannot go below ${count}.`;
        }
      }
      if (Object.keys(errors).length > 0) return { kind: "invalid", errors };
      await repo.updatePackage(tx, id, { name, didLimit, allowedTags, defaultHoldDays });
      const changes = changedFields(facts(pkg, pkg.reseller.name), facts(command, pkg.reseller.name), auditFields);
      // Saving the form unchanged changes nothing, so it records nothing.
      if (Object.keys(changes).length > 0) await recordAuditEvents(tx, caller, [packageEvent("edit", { id, name, resellerId: pkg.resellerId }, changes)]);
      return { kind: "saved", name };
    });
  } catch (error) {
    // Renamed to a name another request took meanwhile: the unique index decides.
    if (!isUniqueViolation(error)) throw error;
    return { kind: "invalid", errors: nameTaken(name) };
  }
}

export type DeletePackageOutcome =
  | { kind: "deleted"; name: string }
  | { kind: "not-found" }
  | { kind: "in-use"; package: repo.PackageWithReseller; subscriptions: { total: number; active: number } };

export async function deletePackage(db: Db, caller: Actor & Caller, id: number): Promise<DeletePackageOutcome> {
  return db.$transaction(async (tx): Promise<DeletePackageOutcome> => {
    // The lock makes subscriptions being created for it wait, so the count below is final.
    const pkg = await repo.lockPackage(tx, caller.scope, id);
    if (!pkg) return { kind: "not-found" };
    const subscriptions = await repo.countSubscriptions(tx, id);
    if (subscriptions.total > 0) return { kind: "in-use", package: pkg, subscriptions };
    await repo.deletePackage(tx, caller.scope, id);
    // A delete keeps the last state as the olds.
    await recordAuditEvents(tx, caller, [packageEvent("delete", pkg, changedFields(facts(pkg, pkg.reseller.name), null, auditFields))]);
    return { kind: "deleted", name: pkg.name };
  });
}
