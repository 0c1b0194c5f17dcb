// The new-API-token form, read into a typed command. What needs the database (a reseller
// that exists, a name an active token already has) is the service's to check.
import ipaddr from "ipaddr.js";
import { maxApiRateLimit } from "../../config.js";
import type { Parsed } from "../../shared/commands.js";
import { FieldReader, clip } from "../../shared/field-errors.js";

export const apiTokenNameMaxLength = 100;
export const maxAllowedNetworks = 20;
/** Room for 20 IPv6 blocks written out in full, with separators. */
const allowedNetworksMaxLength = 2000;

export interface CreateApiTokenCommand {
  name: string;
  /** Null: the token sees every reseller's numbers. */
  resellerId: number | null;
  /** Lookups per second; null: the app's default (API_RATE_LIMIT). */
  rateLimit: number | null;
  /** Normalized CIDR blocks ("10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"); empty: any address. */
  allowedNetworks: string[];
}

/** The form as typed, to show it again with its errors: the limit and the addresses as text. */
export interface ApiTokenForm {
  name?: string;
  resellerId?: number;
  rateLimit?: string;
  allowedNetworks?: string;
}

/** A command shown again in the form (after the service refused it): addresses one a line. */
export function apiTokenForm(command: CreateApiTokenCommand): ApiTokenForm {
  return {
    name: command.name,
    resellerId: command.resellerId ?? undefined,
    rateLimit: command.rateLimit === null ? undefined : String(command.rateLimit),
    allowedNetworks: command.allowedNetworks.join("\n"),
  };
}

const example = "like 192.0.2.10, 10.0.0.0/8 or 2001:db8::/32";

/**
 * One address or CIDR block as typed -> its normalized CIDR, or a message quoting it. A
 * bare address is one host (/32 or /128). IPv4 is only the dotted four-part form (not
 * "10" or "0x0a.0.0.1", which parsers read in surprising ways). An IPv4 address written
 * as IPv6 (::ffff:10.0.0.1) is stored as IPv4, as clients' addresses are compared.
 */
export function normalizeNetwork(entry: string): { cidr: string } | { problem: string } {
  const bad = { problem: `“${clip(entry)}” is not an IPv4 or IPv6 address or CIDR block (${example}).` };
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
  if (!match) return bad;
  const [, address, prefixText] = match as unknown as [string, string, string | undefined];
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) parsed = ipaddr.IPv4.parse(address);
  else if (address.includes(":") && !address.includes("%") && ipaddr.IPv6.isValid(address)) parsed = ipaddr.IPv6.parse(address);
  else return bad;
  const bits = parsed.kind() === "ipv4" ? 32 : 128;
  let prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return { problem: `“${clip(entry)}”: an ${parsed.kind() === "ipv4" ? "IPv4" : "IPv6"} block has a prefix length from 0 to ${bits}.` };
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress() && prefix >= 96) {
    parsed = parsed.toIPv4Address();
    prefix -= 96;
  }
  const network = parsed instanceof ipaddr.IPv4 ? ipaddr.IPv4.networkAddressFromCIDR(`${parsed.toString()}/${prefix}`) : ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${prefix}`);
  // "10.1.2.3/8" names an address and a block at once: ask which one was meant rather
  // than silently allowing all of 10.0.0.0/8.
  if (network.toString() !== parsed.toString()) {
    return { problem: `“${clip(entry)}” has address bits set after its first ${prefix}: write ${network.toString()}/${prefix} for the block, or ${parsed.toString()} for one address.` };
  }
  return { cidr: `${network.toString()}/${prefix}` };
}

/** Addresses and blocks separated by commas, spaces or new lines; duplicates dropped. */
function readNetworks(r: FieldReader, field: string): string[] | undefined {
  const raw = r.text(field, "Allowed addresses", allowedNetworksMaxLength, { multiline: true });
  if (r.errors[field]) return undefined;
  const entries = (raw ?? "").split(/[\s,]+/).filter((entry) => entry !== "");
  if (entries.length > maxAllowedNetworks) return r.fail(field, `At most ${maxAllowedNetworks} addresses or blocks (this list has ${entries.length}).`);
  const networks = new Set<string>();
  const problems: string[] = [];
  for (const entry of entries) {
    const result = normalizeNetwork(entry);
    if ("problem" in result) problems.push(result.problem);
    else networks.add(result.cidr);
  }
  if (problems.length > 0) return r.fail(field, problems.join("\n"));
  return [...networks];
}

export function parseCreateApiTokenForm(body: Record<string, unknown>): Parsed<CreateApiTokenCommand, ApiTokenForm> {
  const r = new FieldReader(body);
  const name = r.text("name", "Name", apiTokenNameMaxLength, { required: true });
  const resellerId = r.id("reseller", "a reseller");
  const rateLimit = r.integer("rate_limit", "Rate limit", 1, maxApiRateLimit);
  const allowedNetworks = readNetworks(r, "allowed_networks");
  // Shown again as typed, so that a mistyped address can be corrected rather than retyped.
  const form: ApiTokenForm = { name, resellerId, rateLimit: r.raw("rate_limit"), allowedNetworks: r.raw("allowed_networks") };
  if (name === undefined || allowedNetworks === undefined || !r.ok) return { ok: false, form, errors: r.errors };
  return { ok: true, command: { name, resellerId: resellerId ?? null, rateLimit: rateLimit ?? null, allowedNetworks } };
}
