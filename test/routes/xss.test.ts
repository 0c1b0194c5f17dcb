// XSS: hostile text in every field the app keeps (reseller, operator, client, account,
// package and API token names, package tags, DID tag and notes), and in every input it echoes back (searches, forms refused
// with a 422, IDs quoted on error pages, return URLs), is rendered inert on every page and
// htmx fragment where it appears, for an admin and for a reseller's user.
//
// Inert means: the raw payload never appears in the body (only HTML-escaped); parsed with
// node-html-parser, no element (<script>, <img>) and no attribute (onmouseover, onerror)
// came from it; every URL in an href, src, action, hx-* attribute, redirect header or
// hidden return field stays a path of ours; and the payload does show, decoded as text or
// as an attribute value, where the page is expected to show it (so no case passes by
// accident because the value never reached the page).
import t from "tap";
import type { Test } from "tap";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { HTMLElement } from "node-html-parser";
import { buildTestApp, form, html, htmx, type Browser } from "../helpers/app.js";

const payloads = {
  script: "<script>alert(1)</script>",
  doubleQuote: '" onmouseover="alert(1)',
  singleQuote: "' onmouseover='alert(1)",
  img: "<img src=x onerror=alert(1)>",
  // Breaks out of a <textarea> (notes, numbers) or a <title> if they were not escaped.
  textarea: "</textarea><script>alert(1)</script>",
  // Harmless as text; dangerous only where a value becomes an href.
  javascriptUrl: "javascript:alert(1)",
};
type PayloadName = keyof typeof payloads;
const allPayloads = Object.keys(payloads) as PayloadName[];

/** Everything one payload was stored in, and a user of its reseller. */
interface Hostile {
  p: string;
  resellerId: number;
  /** Named p, owns DIDs. */
  operatorId: number;
  /** Named "p 2", owns none (the other branch of the delete page). */
  emptyOperatorId: number;
  /** Created through POST /dids/new with tag and notes p. */
  didId: number;
  /** Assigned to client p / account p, tag and notes set through the edit form. */
  assignedId: number;
  /** Client p (notes p) with its first account p, created through the form. */
  clientId: number;
  accountId: number;
  /** A reseller user bound to this reseller. */
  resellerUserId: number;
  reseller: Browser;
  /** Named p, tags p (split where p has spaces), no subscription. */
  packageId: number;
  /** Named "p 2", with a subscription (the refusal branch of the delete page). */
  usedPackageId: number;
  /** The flash cookies set by creating the reseller, the operator and the package, as sent back. */
  resellerFlash: string;
  operatorFlash: string;
  packageFlash: string;
  clientFlash: string;
  /** An active API token named p, of this reseller; and one named "p old", revoked through the form. */
  apiTokenId: number;
  revokedApiTokenId: number;
  apiTokenFlash: string;
}

type Who = "admin" | "reseller" | "anonymous";

interface Request {
  url: string;
  method?: "GET" | "POST";
  /** A urlencoded form body (POST). */
  fields?: Record<string, string>;
  headers?: Record<string, string>;
}

interface Case {
  page: string;
  as?: Who;
  /** Also asked as an htmx request (HX-Request: true) for its fragment. */
  fragment?: boolean;
  /** Only asked for as a fragment (what htmx alone asks for). */
  fragmentOnly?: boolean;
  request: (s: Hostile) => Request;
  status: number;
  /** Selectors of the elements that must carry the payload (decoded, as text or attribute value). */
  shows: string[];
  /** Anything more to check on this page. */
  check?: (t: Test, doc: HTMLElement, s: Hostile, res: LightMyRequestResponse) => void;
}

const enc = encodeURIComponent;
/** New token names differ per request: an active token's name is taken. */
let tokenSerial = 0;
const edit = (s: Hostile, id: number, fields: Record<string, string>) => ({
  operator: String(s.operatorId), status: id === s.assignedId ? "active" : "in_stock", after_hold: "in_stock", hold_days: "0", ...fields,
});
/** The `tag` of a return URL, decoded: a hostile value may ride along, percent-encoded. */
const tagOf = (url: string | undefined) => new URL(url ?? "", "http://x").searchParams.get("tag");

// ---------------------------------------------------------------------------------------
// The table: every page and fragment where a stored or echoed value appears.

const cases: Case[] = [
  // Stored values: the inventory.
  { page: "GET /dids, the reseller's DIDs", fragment: true, request: (s) => ({ url: `/dids?reseller=${s.resellerId}` }), status: 200,
    shows: ["table.list td:nth-child(3)", "table.list td:nth-child(5)", "table.list td:nth-child(6)", "table.list td:nth-child(7)", "table.list td:nth-child(8)", "#s-operator option", "#s-reseller option"] },
  { page: "GET /dids", as: "reseller", fragment: true, request: () => ({ url: "/dids" }), status: 200,
    shows: ["table.list td:nth-child(3)", "table.list td:nth-child(5)", "table.list td:nth-child(6)", "table.list td:nth-child(7)", "table.list td:nth-child(8)", "#s-operator option"] },
  { page: "GET /dids, tag sort order", request: (s) => ({ url: `/dids?reseller=${s.resellerId}&sort=tag&dir=desc` }), status: 200, shows: ["table.list td:nth-child(5)"] },
  { page: "GET /dids/:id/edit, assigned DID", request: (s) => ({ url: `/dids/${s.assignedId}/edit` }), status: 200,
    shows: ["#e-tag", "#e-notes", ".facts dd", "#e-operator option"] },
  { page: "GET /dids/:id/edit, assigned DID", as: "reseller", request: (s) => ({ url: `/dids/${s.assignedId}/edit` }), status: 200,
    shows: ["#e-tag", "#e-notes", ".facts dd", "#e-operator option"] },
  { page: "GET /dids/:id/delete, free DID", fragment: true, request: (s) => ({ url: `/dids/${s.didId}/delete` }), status: 200, shows: ["p"] },
  { page: "GET /dids/:id/delete, free DID", as: "reseller", fragment: true, request: (s) => ({ url: `/dids/${s.didId}/delete` }), status: 200, shows: ["p"] },
  { page: "GET /dids/:id/delete, assigned DID", fragment: true, request: (s) => ({ url: `/dids/${s.assignedId}/delete` }), status: 200, shows: [".error-box"] },
  { page: "POST /dids/:id/delete, assigned DID → 409", fragment: true, request: (s) => ({ method: "POST", url: `/dids/${s.assignedId}/delete`, fields: { back: "/dids" } }), status: 409, shows: [".error-box"] },
  { page: "GET /dids/new, operator choices", fragment: true, request: () => ({ url: "/dids/new" }), status: 200, shows: ["#c-operator option"] },
  { page: "GET /dids/new, operator choices", as: "reseller", request: () => ({ url: "/dids/new" }), status: 200, shows: ["#c-operator option"] },

  // Forms refused with a 422 echo what was typed.
  { page: "POST /dids/new → 422, tag, notes and numbers echoed", fragment: true,
    request: (s) => ({ method: "POST", url: "/dids/new", fields: { numbers: s.p, operator: String(s.operatorId), status: "in_stock", after_hold: "in_stock", tag: s.p, notes: s.p } }),
    status: 422, shows: ["#c-tag", "#c-notes", "#c-numbers"] },
  { page: "POST /dids/new → 422", as: "reseller",
    request: (s) => ({ method: "POST", url: "/dids/new", fields: { numbers: "", operator: String(s.operatorId), status: "in_stock", after_hold: "in_stock", tag: s.p, notes: s.p } }),
    status: 422, shows: ["#c-tag", "#c-notes"] },
  { page: "POST /dids/:id/edit → 422, tag, notes and hold days echoed",
    request: (s) => ({ method: "POST", url: `/dids/${s.didId}/edit`, fields: edit(s, s.didId, { tag: s.p, notes: s.p, hold_days: s.p, back: "/dids" }) }),
    status: 422, shows: ["#e-tag", "#e-notes", "#hold_days-error"] },

  // The inventory's client field: the name of client=<id>, and a typed name.
  { page: "GET /dids?client=<id>", fragment: true, request: (s) => ({ url: `/dids?client=${s.clientId}` }), status: 200, shows: ["#s-client", 'input[name="client_shown"]'] },
  { page: "GET /dids?client=<id>", as: "reseller", request: (s) => ({ url: `/dids?client=${s.clientId}` }), status: 200, shows: ["#s-client", 'input[name="client_shown"]'] },
  { page: "GET /dids?client_name=…", fragment: true, request: (s) => ({ url: `/dids?client_name=${enc(s.p)}` }), status: 200, shows: ["#s-client", "table.list td:nth-child(7)"] },
  { page: "GET /clients/suggest?q=…", fragmentOnly: true, request: (s) => ({ url: `/clients/suggest?q=${enc(s.p)}` }), status: 200, shows: ["option"] },
  { page: "GET /clients/suggest?q=…", as: "reseller", fragmentOnly: true, request: (s) => ({ url: `/clients/suggest?q=${enc(s.p)}` }), status: 200, shows: ["option"] },

  // Clients and their accounts.
  { page: "GET /clients, the reseller's clients", fragment: true, request: (s) => ({ url: `/clients?reseller=${s.resellerId}` }), status: 200,
    shows: ["table.list td:nth-child(2)", "table.list td:nth-child(3)", "#c-reseller option"] },
  { page: "GET /clients", as: "reseller", fragment: true, request: () => ({ url: "/clients" }), status: 200, shows: ["table.list td:nth-child(2)", "table.list td:nth-child(3)"] },
  { page: "GET /clients?q=…", fragment: true, request: (s) => ({ url: `/clients?q=${enc(s.p)}` }), status: 200, shows: ["#c-q", "table.list td:nth-child(2)"] },
  { page: "GET /clients/:id", request: (s) => ({ url: `/clients/${s.clientId}` }), status: 200, shows: ["h1", "title", ".facts dd", "table.list td:nth-child(1)"] },
  { page: "GET /clients/:id", as: "reseller", request: (s) => ({ url: `/clients/${s.clientId}` }), status: 200, shows: ["h1", ".facts dd", "table.list td:nth-child(1)"] },
  { page: "GET /clients/:id, flash after creating the client", request: (s) => ({ url: `/clients/${s.clientId}`, headers: { cookie: s.clientFlash } }), status: 200, shows: [".flash"] },
  { page: "GET /clients/:id/edit", fragment: true, request: (s) => ({ url: `/clients/${s.clientId}/edit` }), status: 200, shows: ["#ed-name", "#ed-notes", ".facts dd"] },
  { page: "GET /clients/:id/delete, client with DIDs", fragment: true, request: (s) => ({ url: `/clients/${s.clientId}/delete` }), status: 200, shows: [".error-box"] },
  { page: "GET /clients/:id/accounts/:id/edit", fragment: true, request: (s) => ({ url: `/clients/${s.clientId}/accounts/${s.accountId}/edit` }), status: 200, shows: ["#ra-name", "strong"] },
  { page: "GET /clients/:id/accounts/:id/delete, account with DIDs", fragment: true, request: (s) => ({ url: `/clients/${s.clientId}/accounts/${s.accountId}/delete` }), status: 200, shows: [".error-box"] },
  { page: "POST /clients/new → 422, name taken", fragment: true,
    request: (s) => ({ method: "POST", url: "/clients/new", fields: { name: s.p, reseller: String(s.resellerId), notes: s.p, account: s.p } }), status: 422,
    shows: ["#n-name", "#name-error", "#n-notes", "#n-account", "#n-reseller option"] },
  { page: "POST /clients/:id/edit → 422, notes echoed", fragment: true, request: (s) => ({ method: "POST", url: `/clients/${s.clientId}/edit`, fields: { name: "", notes: s.p } }), status: 422, shows: ["#ed-notes"] },
  { page: "POST /clients/:id/accounts → 422, name taken", fragment: true, request: (s) => ({ method: "POST", url: `/clients/${s.clientId}/accounts`, fields: { name: s.p } }), status: 422, shows: ["#acc-name", "#name-error"] },
  { page: "GET /audit?type=account", request: () => ({ url: "/audit?type=account" }), status: 200, shows: ["table.list td:nth-child(4)"] },

  // Operators and resellers.
  { page: "GET /operators, the reseller's operators", fragment: true, request: (s) => ({ url: `/operators?reseller=${s.resellerId}` }), status: 200,
    shows: ["table.list td:nth-child(2)", "table.list td:nth-child(4)", "#o-reseller option"] },
  { page: "GET /operators", as: "reseller", fragment: true, request: () => ({ url: "/operators" }), status: 200,
    shows: ["table.list td:nth-child(2)", "table.list td:nth-child(4)"] },
  { page: "GET /operators/:id/delete, operator with DIDs", fragment: true, request: (s) => ({ url: `/operators/${s.operatorId}/delete` }), status: 200, shows: [".error-box"],
    check: (t, doc, s) => t.ok(doc.querySelectorAll("h1, h2").some((el) => el.textContent.includes(s.p)), "the heading (page) or dialog title (fragment) names it") },
  { page: "GET /operators/:id/delete, operator without DIDs", fragment: true, request: (s) => ({ url: `/operators/${s.emptyOperatorId}/delete` }), status: 200, shows: ["strong", "p"] },
  { page: "GET /operators/:id/delete", as: "reseller", fragment: true, request: (s) => ({ url: `/operators/${s.emptyOperatorId}/delete` }), status: 200, shows: ["strong", "p"] },
  { page: "GET /operators/new, reseller choices", fragment: true, request: () => ({ url: "/operators/new" }), status: 200, shows: ["#n-reseller option"] },
  { page: "POST /operators/new → 422, name taken", fragment: true,
    request: (s) => ({ method: "POST", url: "/operators/new", fields: { name: s.p, reseller: String(s.resellerId) } }), status: 422, shows: ["#n-name", "#name-error", "#n-reseller option"] },
  { page: "GET /operators, flash after creating an operator", request: (s) => ({ url: "/operators", headers: { cookie: s.operatorFlash } }), status: 200, shows: [".flash"] },
  { page: "GET /resellers", request: () => ({ url: "/resellers" }), status: 200, shows: ["table.list td:nth-child(2)"] },
  { page: "GET /resellers", as: "reseller", request: () => ({ url: "/resellers" }), status: 200, shows: ["table.list td:nth-child(2)"] },
  { page: "POST /resellers → 422, name taken", request: (s) => ({ method: "POST", url: "/resellers", fields: { name: s.p } }), status: 422, shows: ["#r-name", "#name-error", "table.list td"] },
  { page: "GET /resellers, flash after creating a reseller", request: (s) => ({ url: "/resellers", headers: { cookie: s.resellerFlash } }), status: 200, shows: [".flash"] },

  // Packages.
  { page: "GET /packages, the reseller's packages", fragment: true, request: (s) => ({ url: `/packages?reseller=${s.resellerId}` }), status: 200,
    shows: ["table.list td:nth-child(2)", "table.list td:nth-child(3)", "#pk-reseller option"] },
  { page: "GET /packages", as: "reseller", fragment: true, request: () => ({ url: "/packages" }), status: 200,
    shows: ["table.list td:nth-child(2)", "table.list td:nth-child(3)"] },
  { page: "GET /packages/:id/edit", fragment: true, request: (s) => ({ url: `/packages/${s.packageId}/edit` }), status: 200, shows: ["#p-name", "#p-reseller"],
    check: (t, doc, s) => t.ok(doc.querySelectorAll("h1, h2").some((el) => el.textContent.includes(s.p)), "the heading (page) or dialog title (fragment) names it") },
  { page: "GET /packages/:id/edit", as: "reseller", fragment: true, request: (s) => ({ url: `/packages/${s.packageId}/edit` }), status: 200, shows: ["#p-name", "#p-reseller"] },
  { page: "GET /packages/:id/delete, package without subscriptions", fragment: true, request: (s) => ({ url: `/packages/${s.packageId}/delete` }), status: 200, shows: ["strong", "p"] },
  { page: "GET /packages/:id/delete, package with a subscription", fragment: true, request: (s) => ({ url: `/packages/${s.usedPackageId}/delete` }), status: 200, shows: [".error-box"],
    check: (t, doc, s) => t.ok(doc.querySelectorAll("h1, h2").some((el) => el.textContent.includes(s.p)), "the heading (page) or dialog title (fragment) names it") },
  { page: "POST /packages/:id/delete, package with a subscription → 409", as: "reseller", fragment: true, request: (s) => ({ method: "POST", url: `/packages/${s.usedPackageId}/delete`, fields: {} }), status: 409, shows: [".error-box"] },
  { page: "GET /packages/new, reseller choices", fragment: true, request: () => ({ url: "/packages/new" }), status: 200, shows: ["#p-reseller option"] },
  { page: "GET /packages/new, own reseller preset", as: "reseller", request: () => ({ url: "/packages/new" }), status: 200, shows: ["#p-reseller option"] },
  { page: "POST /packages/new → 422, name taken", fragment: true,
    request: (s) => ({ method: "POST", url: "/packages/new", fields: { name: s.p, reseller: String(s.resellerId), did_limit: "1", allowed_tags: s.p, default_hold_days: "0" } }),
    status: 422, shows: ["#p-name", "#name-error", "#p-reseller option"],
    check: (t, doc, s) => t.equal(doc.querySelector("#p-tags")?.getAttribute("value"), [...new Set(s.p.split(/[\s,]+/).filter(Boolean))].join(", "), "the tags come back as the form writes them") },
  { page: "POST /packages/new → 422, numbers echoed", as: "reseller",
    request: (s) => ({ method: "POST", url: "/packages/new", fields: { name: "", did_limit: s.p, allowed_tags: "", default_hold_days: s.p } }),
    status: 422, shows: ["#p-did-limit", "#did_limit-error", "#p-hold-days", "#default_hold_days-error"] },
  { page: "POST /packages/:id/edit → 422, everything echoed", fragment: true,
    request: (s) => ({ method: "POST", url: `/packages/${s.packageId}/edit`, fields: { name: "", did_limit: s.p, allowed_tags: s.p, default_hold_days: s.p } }),
    status: 422, shows: ["#p-did-limit", "#did_limit-error", "#p-tags", "#p-hold-days", "#p-reseller"] },
  { page: "GET /packages, flash after creating a package", request: (s) => ({ url: "/packages", headers: { cookie: s.packageFlash } }), status: 200, shows: [".flash"] },
  { page: "GET /packages?q=…", fragment: true, request: (s) => ({ url: `/packages?q=${enc(s.p)}` }), status: 200, shows: ["#pk-q"] },
  { page: "GET /packages?q=…", as: "reseller", fragment: true, request: (s) => ({ url: `/packages?q=${enc(s.p)}` }), status: 200, shows: ["#pk-q"] },
  { page: "GET /packages?reseller=… → 400", fragment: true, request: (s) => ({ url: `/packages?reseller=${enc(s.p)}&q=${enc(s.p)}` }), status: 400, shows: ["#reseller-error", "#pk-q"] },
  { page: "GET /packages/<payload>/edit → 400", fragment: true, request: (s) => ({ url: `/packages/${enc(s.p)}/edit` }), status: 400, shows: [".error-box p, .modal p"] },
  { page: "GET /packages/<payload>/delete → 400", fragment: true, request: (s) => ({ url: `/packages/${enc(s.p)}/delete` }), status: 400, shows: [".error-box p, .modal p"] },

  // Users: reseller names; usernames cannot carry markup at all.
  { page: "GET /users", request: () => ({ url: "/users" }), status: 200, shows: ["table.list td:nth-child(3)"] },
  { page: "GET /users/:id/edit, reseller user", request: (s) => ({ url: `/users/${s.resellerUserId}/edit` }), status: 200, shows: ["#u-reseller option"] },
  { page: "GET /users/new, reseller choices", request: () => ({ url: "/users/new" }), status: 200, shows: ["#u-reseller option"] },
  { page: "POST /users/new → 422, username refused",
    request: (s) => ({ method: "POST", url: "/users/new", fields: { username: s.p, role: "reseller", reseller: String(s.resellerId), password: "a long enough password" } }),
    status: 422, shows: ["#u-username"], check: (t, doc) => t.ok(doc.querySelector("#username-error"), "the username is refused at its field") },

  // API tokens (admins only): names, and their reseller's name.
  { page: "GET /api-tokens", fragment: true, request: () => ({ url: "/api-tokens" }), status: 200, shows: ["table.list td:nth-child(1)", "table.list td:nth-child(3)", "table.list td:nth-child(9) a"] },
  { page: "GET /api-tokens, flash after revoking a token", request: (s) => ({ url: "/api-tokens", headers: { cookie: s.apiTokenFlash } }), status: 200, shows: [".flash"] },
  { page: "GET /api-tokens/new, reseller choices", fragment: true, request: () => ({ url: "/api-tokens/new" }), status: 200, shows: ["#t-reseller option"] },
  { page: "POST /api-tokens/new → 422, name taken", fragment: true, request: (s) => ({ method: "POST", url: "/api-tokens/new", fields: { name: s.p, reseller: String(s.resellerId) } }), status: 422, shows: ["#t-name", "#name-error", "#t-reseller option"] },
  { page: "POST /api-tokens/new → 422, limit and addresses echoed", fragment: true,
    request: (s) => ({ method: "POST", url: "/api-tokens/new", fields: { name: "", rate_limit: s.p, allowed_networks: s.p } }), status: 422, shows: ["#t-rate-limit", "#rate_limit-error", "#t-networks"] },
  { page: "POST /api-tokens/new → 201, the token shown once", fragment: true,
    request: (s) => ({ method: "POST", url: "/api-tokens/new", fields: { name: `${s.p} ${++tokenSerial}`, reseller: String(s.resellerId) } }), status: 201, shows: ['label[for="t-token"]', ".notice"] },
  { page: "GET /api-tokens/:id/revoke", fragment: true, request: (s) => ({ url: `/api-tokens/${s.apiTokenId}/revoke` }), status: 200, shows: ["strong", "p"] },
  { page: "POST /api-tokens/:id/revoke, revoked before → 409", fragment: true, request: (s) => ({ method: "POST", url: `/api-tokens/${s.revokedApiTokenId}/revoke`, fields: {} }), status: 409, shows: ['[role="alert"]'] },
  { page: "GET /api-tokens/<payload>/revoke → 400", fragment: true, request: (s) => ({ url: `/api-tokens/${enc(s.p)}/revoke` }), status: 400, shows: [".error-box p, .modal p"] },
  { page: "GET /audit?type=api_token", request: () => ({ url: "/audit?type=api_token" }), status: 200, shows: ["table.list td:nth-child(4)", "table.list td:nth-child(5)"] },

  // Searches echoed into their forms (and into the sort and pager links).
  { page: "GET /dids?tag=…", fragment: true, request: (s) => ({ url: `/dids?tag=${enc(s.p)}` }), status: 200, shows: ["#s-tag"],
    check: (t, doc, s) => t.ok(doc.querySelectorAll("thead a").every((a) => tagOf(a.getAttribute("href")) === s.p), "sort links keep the tag, encoded") },
  { page: "GET /dids?notes=…", fragment: true, request: (s) => ({ url: `/dids?notes=${enc(s.p)}` }), status: 200, shows: ["#s-notes"] },
  { page: "GET /dids?tag=…&notes=…", as: "reseller", fragment: true, request: (s) => ({ url: `/dids?tag=${enc(s.p)}&notes=${enc(s.p)}` }), status: 200, shows: ["#s-tag", "#s-notes"] },
  { page: "GET /operators?q=…", fragment: true, request: (s) => ({ url: `/operators?q=${enc(s.p)}` }), status: 200, shows: ["#o-q"] },
  { page: "GET /operators?q=…", as: "reseller", fragment: true, request: (s) => ({ url: `/operators?q=${enc(s.p)}` }), status: 200, shows: ["#o-q"] },

  // Error pages and field errors that quote the input.
  { page: "GET /dids/<payload>/edit → 400", fragment: true, request: (s) => ({ url: `/dids/${enc(s.p)}/edit` }), status: 400, shows: [".error-box p, .modal p"] },
  { page: "GET /dids/<payload>/delete → 400", fragment: true, request: (s) => ({ url: `/dids/${enc(s.p)}/delete` }), status: 400, shows: [".error-box p, .modal p"] },
  { page: "GET /clients/<payload> → 400", fragment: true, request: (s) => ({ url: `/clients/${enc(s.p)}` }), status: 400, shows: [".error-box p, .modal p"] },
  { page: "GET /operators/<payload>/delete → 400", fragment: true, request: (s) => ({ url: `/operators/${enc(s.p)}/delete` }), status: 400, shows: [".error-box p, .modal p"] },
  { page: "GET /users/<payload>/edit → 400", request: (s) => ({ url: `/users/${enc(s.p)}/edit` }), status: 400, shows: [".error-box p"] },
  { page: "GET /dids?status=…&operator=…&sort=… → 400", fragment: true, request: (s) => ({ url: `/dids?status=${enc(s.p)}&operator=${enc(s.p)}&sort=${enc(s.p)}&tag=${enc(s.p)}` }), status: 400,
    shows: ["#status-error", "#operator-error", "#sort-error", "#s-tag"] },
  { page: "GET /operators?reseller=… → 400", fragment: true, request: (s) => ({ url: `/operators?reseller=${enc(s.p)}&q=${enc(s.p)}` }), status: 400, shows: ["#reseller-error", "#o-q"] },

  // Return URLs: only ever a path of ours, with any hostile value percent-encoded in it.
  { page: "GET /dids/:id/edit, Referer with the payload", request: (s) => ({ url: `/dids/${s.didId}/edit`, headers: { referer: `http://localhost:80/dids?tag=${s.p}` } }), status: 200, shows: [],
    check: (t, doc, s) => t.equal(tagOf(doc.querySelector('input[name="back"]')?.getAttribute("value")), s.p, "back returns to the search, encoded") },
  { page: "GET /dids/:id/edit, Referer is the payload", request: (s) => ({ url: `/dids/${s.didId}/edit`, headers: { referer: s.p } }), status: 200, shows: [],
    check: (t, doc) => t.equal(doc.querySelector('input[name="back"]')?.getAttribute("value"), "/dids") },
  { page: "GET /dids/:id/delete?back=<payload>", fragment: true, request: (s) => ({ url: `/dids/${s.didId}/delete?back=${enc(s.p)}` }), status: 200, shows: [],
    check: (t, doc) => t.equal(doc.querySelector('input[name="back"]')?.getAttribute("value"), "/dids") },
  { page: "GET /dids/:id/delete?back=/dids?tag=<payload>", fragment: true, request: (s) => ({ url: `/dids/${s.didId}/delete?back=${enc(`/dids?tag=${s.p}`)}` }), status: 200, shows: [],
    check: (t, doc, s) => t.equal(tagOf(doc.querySelector('input[name="back"]')?.getAttribute("value")), s.p) },
  { page: "GET /signin?next=<payload>", as: "anonymous", request: (s) => ({ url: `/signin?next=${enc(s.p)}` }), status: 200, shows: [],
    check: (t, doc) => t.equal(doc.querySelector('input[name="next"]')?.getAttribute("value"), "/dids", "the hidden next field is a safe path") },
  { page: "GET /signin?next=/dids?tag=<payload>", as: "anonymous", request: (s) => ({ url: `/signin?next=${enc(`/dids?tag=${s.p}`)}` }), status: 200, shows: [],
    check: (t, doc, s) => t.equal(tagOf(doc.querySelector('input[name="next"]')?.getAttribute("value")), s.p, "a bookmarked search survives, encoded") },
  { page: "POST /signin → 401, username and next echoed", as: "anonymous",
    request: (s) => ({ method: "POST", url: "/signin", fields: { username: s.p, password: "wrong password", next: s.p } }), status: 401, shows: ["#u-username"],
    check: (t, doc) => t.equal(doc.querySelector('input[name="next"]')?.getAttribute("value"), "/dids") },
];

// ---------------------------------------------------------------------------------------
// The checks

const urlAttributes = ["href", "src", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-push-url"];
/** A path of ours: not another site (//host, /\host), not a javascript: or data: URL. */
const isOwnPath = (value: string) => /^\/(?![/\\])/.test(value.trim());

function assertInert(t: Test, res: LightMyRequestResponse, p: string, fragment: boolean) {
  const doc = html(res.body);
  if (p.includes("<") || p.includes("\"") || p.includes("'")) t.notOk(res.body.includes(p), "the raw payload is not in the body");
  t.equal(doc.querySelectorAll("img").length, 0, "no <img>");
  const scripts = doc.querySelectorAll("script");
  const expected = fragment ? [] : res.body.includes('aria-current="page">DID inventory') ? ["htmx.min.js", "selection.js"] : ["htmx.min.js"];
  t.same(scripts.map((s) => (s.getAttribute("src") ?? "").replace(/^.*\/|\?.*$/g, "")), expected, fragment ? "no <script> in a fragment" : "only the layout's scripts: htmx (and the inventory's selection.js)");
  for (const script of scripts) {
    t.ok(isOwnPath(script.getAttribute("src") ?? ""), "the script is ours");
    t.equal(script.textContent.trim(), "", "and not inline");
  }
  const handlers: string[] = [];
  const badUrls: string[] = [];
  for (const el of doc.querySelectorAll("*")) {
    for (const [name, value] of Object.entries(el.attributes)) {
      if (/^on/i.test(name) || /^hx-on/i.test(name)) handlers.push(`<${el.tagName.toLowerCase()} ${name}>`);
      const lower = name.toLowerCase();
      const isUrl = urlAttributes.includes(lower) && !(lower === "hx-push-url" && (value === "true" || value === "false"));
      const isReturnField = el.tagName === "INPUT" && (el.getAttribute("name") === "back" || el.getAttribute("name") === "next") && lower === "value";
      const iconLink = el.tagName === "LINK" && el.getAttribute("rel") === "icon" && value === "data:,";
      if ((isUrl || isReturnField) && !iconLink && !isOwnPath(value)) badUrls.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
    }
  }
  t.same(handlers, [], "no event handler attribute");
  t.same(badUrls, [], "every URL attribute is a path of ours");
  for (const header of ["location", "hx-redirect", "hx-push-url"]) {
    const value = res.headers[header];
    if (value !== undefined) t.ok(isOwnPath(String(value)), `the ${header} header is a path of ours`);
  }
  if (!fragment && res.statusCode < 500) t.match(String(res.headers["content-security-policy"]), /script-src 'self'/, "and the CSP would stop inline script anyway");
  return doc;
}

/** Some element matching the selector carries the payload, decoded, as text or an attribute value. */
function carries(doc: HTMLElement, selector: string, p: string): boolean {
  return doc.querySelectorAll(selector).some((el) => el.textContent.includes(p) || Object.values(el.attributes).some((v) => v.includes(p)));
}

// ---------------------------------------------------------------------------------------

t.test("hostile text is inert wherever it appears", async (t) => {
  const { app, db, admin, signInAs } = await buildTestApp(t);

  const flashOf = (res: LightMyRequestResponse) => {
    const setCookies = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
    const flash = setCookies.find((c) => c.startsWith("flash="));
    if (!flash) throw new Error("no flash cookie set");
    return flash.split(";")[0]!;
  };
  const expectStatus = (res: LightMyRequestResponse, status: number, what: string) => {
    if (res.statusCode !== status) throw new Error(`${what} answered ${res.statusCode}, expected ${status}: ${res.body.slice(0, 500)}`);
    return res;
  };

  // One set of records per payload, each stored through the app's own forms where it has
  // them (resellers, operators, clients and their first accounts, DID tag and notes).
  const sets = new Map<PayloadName, Hostile>();
  let n = 0;
  for (const name of allPayloads) {
    const p = payloads[name];
    n++;
    const post = (url: string, fields: Record<string, string>) => admin.inject({ method: "POST", url, ...form(fields) });
    const resellerFlash = flashOf(expectStatus(await post("/resellers", { name: p }), 303, `creating reseller ${p}`));
    const reseller = await db.reseller.findUniqueOrThrow({ where: { name: p } });
    const operatorFlash = flashOf(expectStatus(await post("/operators/new", { name: p, reseller: String(reseller.id) }), 303, `creating operator ${p}`));
    expectStatus(await post("/operators/new", { name: `${p} 2`, reseller: String(reseller.id) }), 303, `creating operator ${p} 2`);
    const operator = await db.operator.findFirstOrThrow({ where: { name: p, resellerId: reseller.id } });
    const emptyOperator = await db.operator.findFirstOrThrow({ where: { name: `${p} 2`, resellerId: reseller.id } });
    const clientFlash = flashOf(expectStatus(await post("/clients/new", { name: p, reseller: String(reseller.id), notes: p, account: p }), 303, `creating client ${p}`));
    const account = await db.clientAccount.findFirstOrThrow({ where: { name: p, resellerId: reseller.id }, include: { client: true } });
    const packageFlash = flashOf(expectStatus(await post("/packages/new", { name: p, reseller: String(reseller.id), did_limit: "5", allowed_tags: p, default_hold_days: "0" }), 303, `creating package ${p}`));
    const pkg = await db.package.findFirstOrThrow({ where: { name: p, resellerId: reseller.id } });
    const usedPackage = await db.package.create({ data: { name: `${p} 2`, resellerId: reseller.id, didLimit: 1 } });
    await db.subscription.create({ data: { clientId: account.clientId, packageId: usedPackage.id, resellerId: reseller.id, startDate: new Date("2026-01-01") } });

    const free = `38044${n}000001`;
    expectStatus(await post("/dids/new", { numbers: free, operator: String(operator.id), status: "in_stock", after_hold: "in_stock", tag: p, notes: p }), 303, `creating DID ${free}`);
    const did = await db.did.findUniqueOrThrow({ where: { number: free } });
    const assigned = await db.did.create({ data: { number: `38044${n}000002`, operatorId: operator.id, status: "active", clientAccountId: account.id } });
    const hostile = { p, resellerId: reseller.id, operatorId: operator.id, emptyOperatorId: emptyOperator.id, didId: did.id, assignedId: assigned.id, packageId: pkg.id, usedPackageId: usedPackage.id, clientId: account.clientId, accountId: account.id } as Hostile;
    expectStatus(await post(`/dids/${assigned.id}/edit`, edit(hostile, assigned.id, { tag: p, notes: p, back: "/dids" })), 303, `editing DID ${assigned.number}`);

    const stored = await db.did.findUniqueOrThrow({ where: { id: assigned.id } });
    t.match([did.tag, did.notes, stored.tag, stored.notes, operator.name, reseller.name, account.name, account.client.name, account.client.notes], Array(9).fill(p), `${name}: stored exactly as typed`);

    const browser = await signInAs({ role: "reseller", resellerId: reseller.id, username: `reseller-${name}` });
    const user = await db.user.findUniqueOrThrow({ where: { username: `reseller-${name}` } });
    expectStatus(await post("/api-tokens/new", { name: p, reseller: String(reseller.id) }), 201, `creating API token ${p}`);
    expectStatus(await post("/api-tokens/new", { name: `${p} old`, reseller: String(reseller.id) }), 201, `creating API token ${p} old`);
    const apiToken = await db.apiToken.findFirstOrThrow({ where: { name: p } });
    const revokedApiToken = await db.apiToken.findFirstOrThrow({ where: { name: `${p} old` } });
    const apiTokenFlash = flashOf(expectStatus(await post(`/api-tokens/${revokedApiToken.id}/revoke`, {}), 303, `revoking API token ${p} old`));
    sets.set(name, { ...hostile, resellerUserId: user.id, reseller: browser, resellerFlash, operatorFlash, packageFlash, clientFlash, apiTokenId: apiToken.id, revokedApiTokenId: revokedApiToken.id, apiTokenFlash });
  }

  for (const c of cases) {
    for (const fragment of c.fragmentOnly ? [true] : c.fragment ? [false, true] : [false]) {
      for (const name of allPayloads) {
        const who = c.as ?? "admin";
        t.test(`${c.page}${fragment ? " (htmx fragment)" : ""} as ${who}, ${name} payload`, async (t) => {
          const s = sets.get(name)!;
          const options = injectOptions(c.request(s), fragment ? htmx : {});
          const res = await (who === "admin" ? admin.inject(options) : who === "reseller" ? s.reseller.inject(options) : anonymous(app, options));
          t.equal(res.statusCode, c.status, "status");
          if (fragment) t.notMatch(res.body, /<html/i, "a fragment, not a page");
          const doc = assertInert(t, res, s.p, fragment);
          for (const selector of c.shows) t.ok(carries(doc, selector, s.p), `the payload shows, as text, in ${selector}`);
          c.check?.(t, doc, s, res);
        });
      }
    }
  }

  t.test("no user was created with a hostile username", async (t) => {
    t.equal(await db.user.count({ where: { username: { in: Object.values(payloads) } } }), 0);
  });
});

function injectOptions(request: Request, headers: Record<string, string>) {
  const body = request.fields ? form(request.fields) : undefined;
  return { method: request.method ?? "GET", url: request.url, payload: body?.payload, headers: { ...body?.headers, ...request.headers, ...headers } } as const;
}

/** A browser that is not signed in; a POST carries the CSRF cookie and token of the sign-in page. */
async function anonymous(app: FastifyInstance, options: ReturnType<typeof injectOptions>): Promise<LightMyRequestResponse> {
  if (options.method === "GET") return app.inject(options);
  const page = await app.inject({ url: "/signin" });
  const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
  const token = html(page.body).querySelector('input[name="_csrf"]')?.getAttribute("value") ?? "";
  const fields = new URLSearchParams(String(options.payload ?? ""));
  fields.set("_csrf", token);
  return app.inject({ ...options, payload: fields.toString(), cookies });
}
