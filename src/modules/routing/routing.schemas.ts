// The routing API's JSON schemas: they document the routes (the OpenAPI document is made
// from them) and serialise the answers. Input is checked by the handlers (routing.routes.ts).
import type { SwaggerOptions } from "@fastify/swagger";
import { didStatuses } from "../dids/did-filters.js";
import { maxBatchNumbers, routeNumberPattern } from "./route-numbers.js";

const ref = (what: string) =>
  ({
    type: "object",
    description: what,
    properties: { id: { type: "integer" }, name: { type: "string" } },
    required: ["id", "name"],
  }) as const;
const nullableRef = (what: string) => ({ ...ref(what), type: ["object", "null"] }) as const;

const number = { type: "string", description: "The number's digits, as stored (without the “+”).", examples: ["380441234567"] } as const;

const reachable = {
  type: "object",
  description: "A number that may be routed: active, and its subscription (if any) in force today.",
  properties: {
    number,
    reachable: { type: "boolean", const: true },
    status: { type: "string", const: "active" },
    operator: ref("The operator (DID provider) the number was bought from."),
    reseller: ref("The operator's reseller."),
    client: nullableRef("The client it is assigned to."),
    account: nullableRef("The client's account it is assigned to."),
    package: nullableRef("The package of the subscription it was picked under; null for a DID assigned outside a subscription."),
  },
  required: ["number", "reachable", "status", "operator", "reseller", "client", "account", "package"],
} as const;

const unreachable = {
  type: "object",
  description:
    "A number that must not be routed: on hold (its package is not active), blocked, reserved, in stock or archived; or not in the inventory (status null), which is also the answer for another reseller's number.",
  properties: {
    number,
    reachable: { type: "boolean", const: false },
    status: { type: ["string", "null"], enum: [...didStatuses, null] },
    reason: { type: "string", enum: ["not-in-inventory", "not-active", "subscription-not-in-force"] },
  },
  required: ["number", "reachable", "status", "reason"],
} as const;

const error = (example: string) =>
  ({
    type: "object",
    properties: { statusCode: { type: "integer" }, error: { type: "string" }, message: { type: "string", examples: [example] } },
    required: ["statusCode", "error", "message"],
  }) as const;

const rateLimited = {
  description: "Over the token's lookups per second (a batch counts its numbers). Retry after the seconds in Retry-After.",
  headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait." } },
  ...error("This API token is over its lookups per second."),
};

const refusals = {
  401: { description: "No token, a malformed one, or one unknown or revoked.", ...error("This API token is unknown or has been revoked.") },
  403: { description: "The token may not be used from the caller's address.", ...error("This API token may not be used from 192.0.2.10.") },
  429: rateLimited,
};

export const singleLookup = {
  summary: "Look up one number",
  description: "Whether a switch may route a call to this number, and to whom it belongs. 404 for every number that may not be routed.",
  tags: ["routing"],
  params: {
    type: "object",
    properties: { number: { type: "string", pattern: routeNumberPattern, description: "Digits, or E.164 with its “+” (URL-encoded as %2B or as is)." } },
    required: ["number"],
  },
  response: {
    200: reachable,
    404: unreachable,
    400: { description: "Not a number.", ...error('"555-0100" is not a number.') },
    ...refusals,
  },
};

export const batchLookup = {
  summary: "Look up up to 1,000 numbers",
  description: "The same answers as the single lookup, as one array in the order asked (repeats answered each time). Each answer says `reachable`; the status code is 200.",
  tags: ["routing"],
  body: {
    type: "object",
    properties: {
      numbers: { type: "array", minItems: 1, maxItems: maxBatchNumbers, items: { type: "string", pattern: routeNumberPattern } },
    },
    required: ["numbers"],
    additionalProperties: false,
  },
  response: {
    200: { type: "array", items: { anyOf: [reachable, unreachable] } },
    400: { description: "Not a batch: no numbers array, more than 1,000, or an entry that is not a number.", ...error("At most 1,000 numbers in one request (this one has 1,001): split it.") },
    ...refusals,
  },
};

export const openApiDocument: SwaggerOptions = {
  openapi: {
    openapi: "3.1.0",
    info: {
      title: "DID inventory routing API",
      version: "1.0.0",
      description:
        "Lookups for switches and rating engines: may a call to this number be routed, and to whom does it belong. Authenticate with an API token from the API tokens page: `Authorization: Bearer <token>`. A token of a reseller sees only that reseller's numbers.",
    },
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "An API token (didtok_…) from the API tokens page." } } },
    security: [{ bearerAuth: [] }],
  },
};
