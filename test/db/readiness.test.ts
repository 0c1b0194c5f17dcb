// /readyz's check: the database answers in time, and every migration of this build is
// applied (Prisma's _prisma_migrations); the answer a prober gets when not.
import net from "node:net";
import Fastify from "fastify";
import t from "tap";
import { listMigrationNames } from "../../src/db/migrate.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import health, { readinessCheck } from "../../src/plugins/health.js";
import { createEmptyDatabase, createTestDatabase } from "../helpers/app.js";

t.test("ready: the database answers and has every migration", async (t) => {
  const url = await createTestDatabase(t);
  const db = createPrismaClient(url, 2);
  t.teardown(() => db.$disconnect());
  const names = await listMigrationNames();
  const last = names.at(-1)!;

  // A migration rolled back (or never finished): pending, and named.
  await db.$executeRaw`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = ${last}`;
  const check = readinessCheck(db);
  t.same(await check(), { ready: false, reason: `migrations pending: ${last}` });
  await db.$executeRaw`UPDATE _prisma_migrations SET rolled_back_at = NULL, finished_at = NULL WHERE migration_name = ${last}`;
  t.same(await check(), { ready: false, reason: `migrations pending: ${last}` }, "unfinished counts as pending");
  await db.$executeRaw`UPDATE _prisma_migrations SET finished_at = now() WHERE migration_name = ${last}`;
  t.same(await check(), { ready: true });
  // Once all were seen applied, only the database is asked: migrations do not un-apply.
  await db.$executeRaw`DELETE FROM _prisma_migrations WHERE migration_name = ${last}`;
  t.same(await check(), { ready: true }, "the migration check is not repeated");
  t.same(await readinessCheck(db)(), { ready: false, reason: `migrations pending: ${last}` }, "a new check (a new process) sees it");
});

t.test("not ready: a database with no migrations at all", async (t) => {
  const db = createPrismaClient(await createEmptyDatabase(t), 1);
  t.teardown(() => db.$disconnect());
  const names = await listMigrationNames();
  const readiness = await readinessCheck(db)();
  t.same(readiness, { ready: false, reason: `migrations pending: ${names.slice(0, 5).join(", ")} and ${names.length - 5} more` }, "the first few named, the rest counted");
});

t.test("not ready: the database is down, or does not answer in time", async (t) => {
  const refused = createPrismaClient("postgresql://root@127.0.0.1:1/nothing", 1);
  t.teardown(() => refused.$disconnect());
  t.match(await readinessCheck(refused)(), { ready: false, reason: "database unreachable" });

  // A server that takes the connection and never says a word.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const port = (silent.address() as net.AddressInfo).port;
  const mute = createPrismaClient(`postgresql://root@127.0.0.1:${port}/nothing`, 1);
  t.teardown(() => mute.$disconnect().catch(() => {}));
  const started = Date.now();
  t.match(await readinessCheck(mute, 300)(), { ready: false, reason: "database unreachable (no answer in 0.3 s)" });
  t.ok(Date.now() - started < 2_000, "answered at the timeout, not when the connection gives up");

  t.test("the HTTP answer: 503, the short reason, never a stack; /healthz does not ask the database", async (t) => {
    const app = Fastify({ logger: false });
    await app.register(health, { db: refused });
    t.teardown(() => app.close());
    const res = await app.inject({ url: "/readyz" });
    t.equal(res.statusCode, 503);
    t.equal(res.body, "database unreachable");
    t.match(res.headers["content-type"], /^text\/plain/);
    t.equal(res.headers["cache-control"], "no-store");
    const live = await app.inject({ url: "/healthz" });
    t.equal(live.statusCode, 200, "the process answers even with the database down");
    t.equal(live.body, "ok");
    t.equal(live.headers["cache-control"], "no-store");
  });
});
