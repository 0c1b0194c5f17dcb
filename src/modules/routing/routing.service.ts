// The routing API's rules: who may ask (a live token, from an allowed address, within its
// limit), what they may see (a reseller's token: its reseller's numbers only) and what a
// number's answer is. A number may be routed when it is active and its subscription, if it
// has one, is in force today; every other number (on hold, blocked, reserved, in stock,
// archived, or not ours) is unreachable. Routes map the outcomes to HTTP.
import ipaddr from "ipaddr.js";
import type { Db } from "../../db/prisma.js";
import type { Clock } from "../../shared/clock.js";
import { utcDay } from "../../shared/clock.js";
import type { ApiRateLimits } from "./api-rate-limits.js";
import * as repo from "./routing.repo.js";

type Ref = { id: number; name: string };

export type RouteAnswer =
  | { number: string; reachable: true; status: "active"; operator: Ref; reseller: Ref; client: Ref | null; account: Ref | null; package: Ref | null }
  | { number: string; reachable: false; status: string | null; reason: "not-in-inventory" | "not-active" | "subscription-not-in-force" };

export interface RouteLookupCommand {
  /** SHA-256 of the bearer token (the token itself goes no further than the route). */
  tokenHash: string;
  /** Digits, as stored; repeats allowed (each gets its answer). */
  numbers: string[];
  /** The caller's address, for tokens bound to networks. */
  clientAddress: string;
}

export type RouteLookupOutcome =
  | { kind: "answers"; answers: RouteAnswer[] }
  | { kind: "unknown-token" }
  | { kind: "address-not-allowed" }
  | { kind: "rate-limited"; retryAfterSeconds: number }
  | { kind: "too-many-unknown-tokens"; retryAfterSeconds: number };

/** How often one instance writes a token's "last used": its list shows it to the minute. */
const touchIntervalMs = 60_000;

export interface RoutingContext {
  db: Db;
  clock: Clock;
  limits: ApiRateLimits;
  /** Token id -> when this process last wrote its last_used_at. */
  touchedAt: Map<number, number>;
  onTouchFailed(error: unknown): void;
}

function ref(id: number | null, name: string | null): Ref | null {
  return id === null || name === null ? null : { id, name };
}

function answerOf(number: string, row: repo.NumberRow | undefined): RouteAnswer {
  if (!row) return { number, reachable: false, status: null, reason: "not-in-inventory" };
  if (!row.routable) return { number, reachable: false, status: row.status, reason: row.status === "active" ? "subscription-not-in-force" : "not-active" };
  return {
    number,
    reachable: true,
    status: "active",
    operator: { id: row.operatorId, name: row.operatorName },
    reseller: { id: row.resellerId, name: row.resellerName },
    client: ref(row.clientId, row.clientName),
    account: ref(row.accountId, row.accountName),
    package: ref(row.packageId, row.packageName),
  };
}

const parsedNetworks = new Map<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | null>();

function network(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  let parsed = parsedNetworks.get(cidr);
  if (parsed === undefined) {
    try {
      parsed = ipaddr.parseCIDR(cidr);
    } catch {
      parsed = null;
    }
    parsedNetworks.set(cidr, parsed);
  }
  return parsed;
}

/** An empty list allows any address; a stored entry that does not parse allows none. */
export function addressAllowed(address: string, networks: string[] | null): boolean {
  if (!networks || networks.length === 0) return true;
  let client: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    client = ipaddr.process(address);
  } catch {
    return false;
  }
  return networks.some((cidr) => {
    const range = network(cidr);
    return range !== null && range[0].kind() === client.kind() && client.match(range);
  });
}

export async function lookUpRoutes(context: RoutingContext, command: RouteLookupCommand): Promise<RouteLookupOutcome> {
  const cooling = context.limits.unknownTokensAllowed(command.clientAddress);
  if (cooling !== undefined) return { kind: "too-many-unknown-tokens", retryAfterSeconds: cooling };
  const wait = await context.limits.take(command.tokenHash, command.numbers.length);
  if (wait !== undefined) return { kind: "rate-limited", retryAfterSeconds: wait };
  const distinct = [...new Set(command.numbers)];
  const result = await repo.lookUpNumbers(context.db, command.tokenHash, distinct, utcDay(context.clock.now()));
  if (!result) {
    await context.limits.unknownTokenFrom(command.clientAddress);
    return { kind: "unknown-token" };
  }
  const { token, found } = result;
  await context.limits.learn(command.tokenHash, token.rateLimit);
  if (!addressAllowed(command.clientAddress, token.allowedNetworks)) return { kind: "address-not-allowed" };
  touchToken(context, token);
  const byNumber = new Map(found.map((row) => [row.number, row]));
  return { kind: "answers", answers: command.numbers.map((number) => answerOf(number, byNumber.get(number))) };
}

/**
 * Writes last_used_at at most once a minute per token, without waiting for it. Another
 * instance's recent write counts too (the row read says when), so several instances do
 * not each write every minute.
 */
function touchToken(context: RoutingContext, token: repo.TokenRow): void {
  const now = Date.now();
  const last = Math.max(context.touchedAt.get(token.tokenId) ?? 0, token.lastUsedMs ?? 0);
  if (now - last < touchIntervalMs) return;
  context.touchedAt.set(token.tokenId, now);
  repo.touchToken(context.db, token.tokenId).catch((error: unknown) => {
    context.touchedAt.delete(token.tokenId);
    context.onTouchFailed(error);
  });
}
