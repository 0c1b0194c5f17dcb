// The forms of a client's DIDs tab, read into typed commands: picking DIDs, and the
// per-DID actions (block, unblock, release, move).
import type { Parsed } from "../../shared/commands.js";
import { FieldReader, parseId } from "../../shared/field-errors.js";
import { parseDidEntry } from "../dids/did-numbers.js";

/** One submission picks at most this many DIDs (ticked, or from a range). */
export const maxPicked = 10_000;

export interface AssignCommand {
  clientId: number;
  accountId: number;
  subscriptionId: number;
  didIds: number[];
  /** Every pickable DID from low to high (same length), instead of ticked ones. */
  range?: { low: string; high: string };
}

export interface AssignForm {
  accountId?: number;
  subscriptionId?: number;
  didIds: number[];
  range?: string;
}

export function parseAssignForm(clientId: number, body: Record<string, unknown>): Parsed<AssignCommand, AssignForm> {
  const r = new FieldReader(body);
  const accountId = r.id("account", "an account", { required: true });
  const subscriptionId = r.id("subscription", "a subscription", { required: true });
  const rawIds = r.list("did");
  const didIds: number[] = [];
  for (const raw of rawIds) {
    const id = parseId(raw.trim());
    if (id === undefined) {
      r.fail("dids", "The ticked DIDs arrived damaged: search again and tick them.");
      break;
    }
    if (!didIds.includes(id)) didIds.push(id);
  }
  if (didIds.length > maxPicked) r.fail("dids", `At most ${maxPicked.toLocaleString("en-US")} DIDs can be picked at once; ${didIds.length.toLocaleString("en-US")} were ticked.`);
  const rangeText = r.text("range", "Range", 100);
  let range: AssignCommand["range"];
  if (rangeText !== undefined) {
    const entry = parseDidEntry(rangeText);
    if (entry.kind === "problem") r.fail("range", entry.message);
    else if (entry.kind === "number") range = { low: entry.number, high: entry.number };
    else if (entry.count > BigInt(maxPicked) * 100n) r.fail("range", `The range holds ${entry.count.toLocaleString("en-US")} numbers: pick from at most ${(maxPicked * 100).toLocaleString("en-US")} at once.`);
    else range = { low: entry.low, high: entry.high };
    if (range && didIds.length > 0) r.fail("range", "Tick DIDs or give a range, not both.");
  }
  if (rangeText === undefined && didIds.length === 0 && r.ok) r.fail("dids", "Tick at least one DID, or give a range of numbers.");
  const form = { accountId, subscriptionId, didIds, range: rangeText };
  if (accountId === undefined || subscriptionId === undefined || !r.ok) return { ok: false, form, errors: r.errors };
  return { ok: true, command: { clientId, accountId, subscriptionId, didIds, range } };
}

export const didActions = ["block", "unblock", "release", "move"] as const;
export type DidAction = (typeof didActions)[number];

export interface DidActionCommand {
  clientId: number;
  didId: number;
  action: DidAction;
  /** For a move. */
  accountId?: number;
}

export function parseDidActionForm(clientId: number, didId: number, body: Record<string, unknown>): Parsed<DidActionCommand, { action?: DidAction }> {
  const r = new FieldReader(body);
  const action = r.oneOf("action", "action", didActions);
  const accountId = action === "move" ? r.id("account", "an account", { required: true }) : undefined;
  if (action === undefined || !r.ok) return { ok: false, form: { action }, errors: r.errors };
  return { ok: true, command: { clientId, didId, action, accountId } };
}
