// The routing API for switches and rating engines (JSON, under /api): one lookup, or a
// batch of up to 1,000, with a bearer token. A scope of its own beside the pages' (app.ts):
// none of their hooks run here, so no session cookie is read or set and no CSRF token is
// asked for; bodies are JSON only and every error is JSON (never an HTML page). The
// OpenAPI document is generated from these routes' schemas by @fastify/swagger and served
// at /api/openapi.json.
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import compress from "@fastify/compress";
import type { LookupAnswer } from "../../plugins/metrics.js";
import { apiTokenHash, isWellFormedApiToken } from "../api-tokens/api-token-secret.js";
import { poolOf } from "../../db/prisma.js";
import { ApiRateLimits } from "./api-rate-limits.js";
import { maxBatchNumbers, notANumberMessage, parseRouteNumber } from "./route-numbers.js";
import { lookUpRoutes, type RouteLookupOutcome, type RoutingContext } from "./routing.service.js";
import * as schemas from "./routing.schemas.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** An API route that answers without a token (the OpenAPI document). */
    apiPublic?: boolean;
  }
  interface FastifyRequest {
    /** SHA-256 of the request's well-formed bearer token (API routes only). */
    apiTokenHash: string | undefined;
  }
}

const apiPrefix = "/api";
/** The routes whose answers and refusals /metrics counts (not the OpenAPI document, not an unknown API address). */
const lookupRoutes = new Set<string | undefined>([`${apiPrefix}/v1/route/:number`, `${apiPrefix}/v1/route`]);

type CountRefusal = (request: FastifyRequest, answer: LookupAnswer) => void;

/** What every API answer carries: it is about a number's state now, and it is JSON only. */
function apiHeaders(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "no-store").header("x-content-type-options", "nosniff");
}

function sendError(reply: FastifyReply, status: number, message: string) {
  return apiHeaders(reply).code(status).type("application/json; charset=utf-8").send({ statusCode: status, error: STATUS_CODES[status] ?? "Error", message });
}

/** Query parameters that mean someone put a token in the address, where logs keep it. */
const tokenParameters = /(?:^|[?&])(?:token|access_token|api_key|apikey|key|bearer)=/i;
const bearer = /^Bearer +(\S+) *$/i;
/** A token pasted into the address, its "_" encoded or not. */
const tokenInPath = /didtok(?:_|%5f)/i;

function refuseUnauthorized(reply: FastifyReply, message: string, invalid: boolean) {
  reply.header("www-authenticate", invalid ? 'Bearer realm="did-inventory", error="invalid_token"' : 'Bearer realm="did-inventory"');
  return sendError(reply, 401, message);
}

/** Checks what can be checked without the database: where the token is and its shape. */
async function takeBearerToken(request: FastifyRequest, reply: FastifyReply, refused: CountRefusal) {
  const query = request.url.indexOf("?");
  if ((query >= 0 && tokenParameters.test(request.url.slice(query))) || tokenInPath.test(request.url)) {
    refused(request, "bad-request");
    return sendError(reply, 400, "API tokens go in the Authorization header (Bearer), never in the address: addresses are kept in logs and browser histories. If a real token was sent this way, revoke it on the API tokens page.");
  }
  if (request.routeOptions.config?.apiPublic) return;
  const header = request.headers.authorization;
  if (header === undefined) {
    refused(request, "unauthorized");
    return refuseUnauthorized(reply, "Send an API token in the Authorization header: Authorization: Bearer <token>.", false);
  }
  const token = bearer.exec(header)?.[1];
  if (token === undefined || !isWellFormedApiToken(token)) {
    refused(request, "unauthorized");
    return refuseUnauthorized(reply, "The Authorization header must be “Bearer ” and an API token from the API tokens page (didtok_ and 43 characters).", true);
  }
  request.apiTokenHash = apiTokenHash(token);
}

export default async function routingRoutes(app: FastifyInstance) {
  const context: RoutingContext = {
    db: app.db,
    clock: app.clock,
    limits: new ApiRateLimits(poolOf(app.db), app.config.apiRateLimit),
    touchedAt: new Map(),
    onTouchFailed: (error) => app.log.warn({ err: error }, "could not record an API token's last use"),
  };
  const lookups = app.metrics.lookups;
  const refused: CountRefusal = (request, answer) => {
    if (lookupRoutes.has(request.routeOptions.url)) lookups[answer].inc();
  };

  /** The answers, or the refusal, of a lookup as HTTP. */
  const answer = (request: FastifyRequest, reply: FastifyReply, outcome: RouteLookupOutcome, single: boolean) => {
    switch (outcome.kind) {
      case "unknown-token":
        lookups.unauthorized.inc();
        return refuseUnauthorized(reply, "This API token is unknown or has been revoked.", true);
      case "address-not-allowed":
        lookups.forbidden.inc();
        return sendError(reply, 403, `This API token may not be used from ${request.ip}: its allowed addresses do not include it.`);
      case "rate-limited":
        lookups["rate-limited"].inc();
        reply.header("retry-after", String(outcome.retryAfterSeconds));
        return sendError(reply, 429, "This API token is over its lookups per second (a batch counts each number; one larger than the limit never passes: split it). Wait for the time in Retry-After, or ask for a higher limit.");
      case "too-many-unknown-tokens":
        lookups["rate-limited"].inc();
        reply.header("retry-after", String(outcome.retryAfterSeconds));
        return sendError(reply, 429, "Too many unknown or revoked API tokens from this address. Wait for the time in Retry-After, then use a token from the API tokens page.");
      case "answers": {
        if (!single) {
          let found = 0;
          for (const one of outcome.answers) if (one.reachable) found++;
          if (found > 0) lookups.found.inc(found);
          if (found < outcome.answers.length) lookups["not-found"].inc(outcome.answers.length - found);
          return apiHeaders(reply).code(200).send(outcome.answers);
        }
        const only = outcome.answers[0]!;
        lookups[only.reachable ? "found" : "not-found"].inc();
        return apiHeaders(reply).code(only.reachable ? 200 : 404).send(only);
      }
    }
  };

  await app.register(
    async (api) => {
      api.decorateRequest("apiTokenHash", undefined);
      // JSON bodies only, and small: a batch of 1,000 numbers is about 25 KB.
      api.removeAllContentTypeParsers();
      api.addContentTypeParser("application/json", { parseAs: "string", bodyLimit: 64 * 1024 }, api.getDefaultJsonParser("error", "error"));
      api.setErrorHandler((error: FastifyError, request, reply) => {
        const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
        if (status >= 500) {
          request.log.error({ err: error }, "API request failed");
          return sendError(reply, 500, `The server could not answer. Try again in a moment; the request id is ${request.id}.`);
        }
        // Fastify's own 4xx messages (bad JSON, wrong content type, too large) say what went wrong.
        refused(request, "bad-request");
        return sendError(reply, status, error.message);
      });
      api.setNotFoundHandler((request, reply) => sendError(reply, 404, `There is no API route ${request.method} ${request.url.split("?")[0]}. The routes are listed in ${apiPrefix}/openapi.json.`));
      api.addHook("onRequest", (request, reply) => takeBearerToken(request, reply, refused));
      // A batch's answers (about 100 KB for 1,000 numbers) are worth compressing; a single
      // answer (300 bytes) is not, and its route opts out of the hook altogether.
      await api.register(compress, { global: true, threshold: 1024, encodings: ["gzip", "deflate"] });

      await api.register(swagger, schemas.openApiDocument);
      api.get("/openapi.json", { schema: { hide: true }, config: { apiPublic: true } }, async () => api.swagger());

      // The schemas document the routes; the handlers check the input themselves, so that
      // a JSON number is refused rather than coerced and every message names the value.
      const documentedOnly = () => () => true;

      api.get<{ Params: { number: string } }>("/v1/route/:number", { schema: schemas.singleLookup, validatorCompiler: documentedOnly, compress: false }, async (request, reply) => {
        const number = parseRouteNumber(request.params.number);
        if (number === undefined) {
          lookups["bad-request"].inc();
          return sendError(reply, 400, notANumberMessage(request.params.number));
        }
        const outcome = await lookUpRoutes(context, { tokenHash: request.apiTokenHash!, numbers: [number], clientAddress: request.ip });
        return answer(request, reply, outcome, true);
      });

      api.post<{ Body: unknown }>("/v1/route", { schema: schemas.batchLookup, validatorCompiler: documentedOnly }, async (request, reply) => {
        const parsed = parseBatch(request.body);
        if (typeof parsed === "string") {
          lookups["bad-request"].inc();
          return sendError(reply, 400, parsed);
        }
        const outcome = await lookUpRoutes(context, { tokenHash: request.apiTokenHash!, numbers: parsed, clientAddress: request.ip });
        return answer(request, reply, outcome, false);
      });
    },
    { prefix: apiPrefix },
  );
}

/** The numbers of a batch body, or why it is not one. */
function parseBatch(body: unknown): string[] | string {
  const numbers = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { numbers?: unknown }).numbers : undefined;
  if (!Array.isArray(numbers)) return 'Send a JSON object with a "numbers" array: {"numbers": ["15551230001", "+380441234567"]}.';
  const unknown = Object.keys(body as object).find((key) => key !== "numbers");
  if (unknown !== undefined) return `Unknown field ${JSON.stringify(unknown.slice(0, 40))}: the body holds only "numbers".`;
  if (numbers.length === 0) return 'The "numbers" array is empty: give at least one number.';
  if (numbers.length > maxBatchNumbers) return `At most ${maxBatchNumbers.toLocaleString("en-US")} numbers in one request (this one has ${numbers.length.toLocaleString("en-US")}): split it.`;
  const parsed: string[] = [];
  const bad: string[] = [];
  numbers.forEach((value, index) => {
    const number = parseRouteNumber(value);
    if (number !== undefined) parsed.push(number);
    else if (bad.length < 5) bad.push(`numbers[${index}]: ${notANumberMessage(value)}`);
    else if (bad.length === 5) bad.push("…");
  });
  return bad.length > 0 ? bad.join(" ") : parsed;
}

