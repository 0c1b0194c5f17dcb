// Our CSS and htmx, served from our own origin (no CDN: support desks on closed networks).
// URLs carry a content hash, so browsers may cache them for a year and still never run
// a stale copy after an upgrade.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import fp from "fastify-plugin";
import fastifyStatic from "@fastify/static";
import { publicDir } from "../paths.js";

const require = createRequire(import.meta.url);
const htmxDir = path.join(path.dirname(require.resolve("htmx.org/package.json")), "dist");

function versioned(prefix: string, dir: string, file: string): string {
  const hash = createHash("sha256").update(readFileSync(path.join(dir, file))).digest("hex").slice(0, 10);
  return `${prefix}${file}?v=${hash}`;
}

export interface AssetUrls {
  css: string;
  htmx: string;
  /** The inventory's row selection across pages (an enhancement; forms work without it). */
  selection: string;
}

declare module "fastify" {
  interface FastifyInstance {
    assets: AssetUrls;
  }
}

export default fp(async (app) => {
  const cacheControl = { immutable: true, maxAge: "365d" };
  await app.register(fastifyStatic, { root: publicDir, prefix: "/static/", ...cacheControl, index: false, wildcard: false });
  await app.register(fastifyStatic, {
    root: htmxDir,
    prefix: "/static/vendor/",
    decorateReply: false,
    allowedPath: (pathName) => pathName === "/htmx.min.js",
    ...cacheControl,
    preCompressed: true,
    index: false,
    wildcard: false,
  });
  app.decorate("assets", {
    css: versioned("/static/", publicDir, "app.css"),
    selection: versioned("/static/", publicDir, "selection.js"),
    htmx: versioned("/static/vendor/", htmxDir, "htmx.min.js"),
  });
});
