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

/** The picker's search, from the query string (a GET form: bookmarkable, works without JavaScript). */
export interface PickerQuery {
  accountId?: number;
  subscriptionId?: number;
  number?: string;
  operatorId?: number;
  tag?: string;
  page: number;
}

export const pickerPerPage = 100;

export function parsePickerQuery(query: Record<string, unknown>): { query: PickerQuery; errors: Record<string, string> } {
  const r = new FieldReader(query);
  const accountId = r.id("account", "an account");
  const subscriptionId = r.id("subscription", "a subscription");
  const numberText = r.text("number", "Number", 20);
  const number = numberText?.replace(/[\s().+-]/g, "");
  if (number !== undefined && number !== "" && !/^\d+$/.test(number)) r.fail("number", "Number: digits the number contains, like 555 or 38044.");
  const operatorId = r.id("operator", "an operator");
  const tag = r.text("tag", "Tag", 64);
  const page = r.integer("page", "Page", 1, 10_000, 1) ?? 1;
  return { query: { accountId, subscriptionId, number: number || undefined, operatorId, tag, page }, errors: r.errors };
}

export function pickerUrl(clientId: number, q: PickerQuery, page = q.page): string {
  const params = new URLSearchParams();
  if (q.accountId !== undefined) params.set("account", String(q.accountId));
  if (q.subscriptionId !== undefined) params.set("subscription", String(q.subscriptionId));
  if (q.number) params.set("number", q.number);
  if (q.operatorId !== undefined) params.set("operator", String(q.operatorId));
  if (q.tag) params.set("tag", q.tag);
  if (page > 1) params.set("page", String(page));
  const text = params.toString();
  return `/clients/${clientId}/dids/add${text ? `?${text}` : ""}`;
}
