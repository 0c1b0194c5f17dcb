// Who is making a request, and what they may see. Every repository query takes a Scope,
// so that a reseller's user cannot reach another reseller's rows by any route: the data
// layer itself leaves them out.
import { Prisma } from "../generated/prisma/client.js";

export const userRoles = ["admin", "reseller", "support"] as const;
export type UserRole = (typeof userRoles)[number];

/** All resellers (resellerId null) or one. */
export interface Scope {
  resellerId: number | null;
}

export const everything: Scope = { resellerId: null };

export interface Actor {
  userId: number;
  username: string;
  role: UserRole;
  scope: Scope;
  /** Support users read only. */
  canWrite: boolean;
  isAdmin: boolean;
}

export function actorFor(user: { id: number; username: string; role: UserRole; resellerId: number | null }): Actor {
  return {
    userId: user.id,
    username: user.username,
    role: user.role,
    // An admin sees everything even if a reseller was once set on the account.
    scope: { resellerId: user.role === "admin" ? null : user.resellerId },
    canWrite: user.role !== "support",
    isAdmin: user.role === "admin",
  };
}

/** SQL: the DIDs (alias d) of the scope. Empty for all resellers. */
export function didScopeSql(scope: Scope): Prisma.Sql {
  return scope.resellerId === null ? Prisma.empty : Prisma.sql`d.operator_id IN (SELECT id FROM operator WHERE reseller_id = ${scope.resellerId})`;
}

/** Prisma where for tables with a reseller_id (operators, clients). */
export function resellerWhere(scope: Scope): { resellerId?: number } {
  return scope.resellerId === null ? {} : { resellerId: scope.resellerId };
}

/**
 * Who is writing, for the audit log: a signed-in actor with the id of the request, or
 * scheduled work ("system"). Services that write take one; every event it records
 * carries the request id, so a batch of changes can be found together.
 */
export interface Caller {
  requestId: string;
  /** Null for scheduled work and for someone not signed in (a failed sign-in). */
  userId: number | null;
  /** "system" for scheduled work; null for someone not signed in. */
  username: string | null;
}

/** The caller of an HTTP request made by a signed-in user. */
export function callerOf(actor: Actor, requestId: string): Actor & Caller {
  return { ...actor, requestId };
}

/** Scheduled work (hold expiry, purges): no user, one request id per run. */
export function systemCaller(requestId: string): Caller {
  return { requestId, userId: null, username: "system" };
}
