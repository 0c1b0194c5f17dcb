// Node 20 (from 20.19) and Node 24 are supported: every package the app runs on must say
// it runs there too. A dependency upgrade that needs a newer Node fails here, not on a
// user's machine as an EBADENGINE warning (development-only packages are not checked:
// they never run in production, and the Prisma CLI's optional dev server wants Node 22).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import t from "tap";
import { projectRoot } from "../../src/paths.js";

const semver = createRequire(import.meta.url)("semver") as { satisfies(version: string, range: string): boolean };
const supported = ["20.19.0", "24.0.0"];

t.test("every production package runs on Node 20 and 24", async (t) => {
  const lock = JSON.parse(readFileSync(path.join(projectRoot, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean; engines?: { node?: string } | string[] }>;
  };
  const own = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { engines: { node: string } };
  for (const version of supported) t.ok(semver.satisfies(version, own.engines.node), `package.json engines admit ${version}`);
  let checked = 0;
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === "" || entry.dev || entry.devOptional) continue;
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (!range) continue;
    checked++;
    for (const version of supported) t.ok(semver.satisfies(version, range), `${where.replace(/^.*node_modules\//, "")} (${range}) runs on ${version}`);
  }
  t.ok(checked > 20, `${checked} packages declare their Node versions`);
});
