// deploy/: nothing here can run Docker, so the compose file is read with a YAML parser
// (tap's own `yaml`, already installed for the tests) and nginx.conf as text, and both
// are held to what the app expects of them.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import t from "tap";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.js";
import { projectRoot } from "../../src/paths.js";

const deployDir = path.join(projectRoot, "deploy");
const compose = parse(readFileSync(path.join(deployDir, "compose.yaml"), "utf8"));
const nginx = readFileSync(path.join(deployDir, "nginx.conf"), "utf8").replace(/#.*$/gm, "");

const seconds = (value: string) => {
  const match = /^(\d+)s$/.exec(value);
  if (!match) throw new Error(`not a duration in seconds: ${value}`);
  return Number(match[1]);
};

t.test("compose: PostgreSQL 17, two app instances from this Dockerfile, nginx in front", async (t) => {
  const { postgres, proxy, ...rest } = compose.services;
  const apps = Object.entries(rest) as [string, any][];
  t.same(apps.map(([name]) => name), ["app-1", "app-2"]);

  t.match(postgres.image, /^postgres:17\b/);
  t.match(postgres.healthcheck.test.join(" "), /pg_isready/);
  const volume = postgres.volumes[0].split(":")[0];
  t.ok(compose.volumes && volume in compose.volumes, "its data on a named volume");

  const [first] = apps[0]!;
  for (const [name, app] of apps) {
    t.ok(existsSync(path.join(deployDir, app.build.context, app.build.dockerfile)), `${name}: built from the repository's Dockerfile`);
    t.equal(app.environment.DATABASE_URL, apps[0]![1].environment.DATABASE_URL, `${name}: the same database as ${first}`);
    t.match(app.environment.DATABASE_URL, /@postgres:5432\//);
    t.equal(app.environment.TRUST_PROXY, "1", `${name}: exactly one proxy hop trusted`);
    t.equal(loadConfig(app.environment).trustProxy, 1, "read as a hop count");
    t.same(app.depends_on, { postgres: { condition: "service_healthy" } });
    t.ok(app.restart, "restarted");
    const deadline = loadConfig(app.environment).shutdownTimeoutSeconds;
    t.ok(seconds(app.stop_grace_period) > deadline, `${name}: Docker waits longer (${app.stop_grace_period}) than the app's own deadline (${deadline} s)`);
    t.match(app.healthcheck.test.join(" "), /\/healthz/);
    t.notOk(app.ports, `${name}: no published port: requests come through nginx only`);
  }

  t.match(proxy.image, /^nginx:/);
  t.ok(proxy.volumes.some((v: string) => v.startsWith("./nginx.conf:/etc/nginx/nginx.conf")), "our nginx.conf");
  t.same(Object.keys(proxy.depends_on), apps.map(([name]) => name));
});

t.test("nginx.conf: both instances, the forwarded headers, the app's body limit, streamed exports", async (t) => {
  t.equal((nginx.match(/{/g) ?? []).length, (nginx.match(/}/g) ?? []).length, "braces balance");
  for (const line of nginx.split("\n").map((l) => l.trim()).filter(Boolean)) {
    t.ok(/[{};]$/.test(line), `a statement ends with ; or a block: ${line}`);
  }
  const upstream = /upstream did_inventory {([^}]*)}/.exec(nginx)![1]!;
  const servers = [...upstream.matchAll(/server (\S+):3000 resolve max_fails=\d+ fail_timeout=\d+s;/g)].map((m) => m[1]);
  t.same(servers, ["app-1", "app-2"], "every app service, with passive health");

  t.match(nginx, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  t.match(nginx, /proxy_set_header X-Forwarded-Proto \$scheme;/);
  t.match(nginx, /proxy_set_header Host \$host;/);
  t.match(nginx, /gzip off;/, "compression is the app's");

  const bodyMb = Number(/client_max_body_size (\d+)m;/.exec(nginx)![1]);
  t.equal(bodyMb * 1024 * 1024, loadConfig({}).importMaxBytes + 1024 * 1024, "the app's import body limit (IMPORT_MAX_BYTES + 1 MiB)");
  t.ok(seconds(/proxy_read_timeout (\d+s);/.exec(nginx)![1]!) >= 300, "long reads are not cut at nginx's 60 s default");

  const streamed = new RegExp(/location ~ (\S+) {[^}]*proxy_buffering off;/.exec(nginx)![1]!);
  for (const url of ["/dids/export", "/imports/12/rejected.csv"]) t.match(url, streamed, `${url} is not buffered`);
  t.notMatch("/dids", streamed);
});
