// Two app instances on one database, on two ports, each with its job worker, as they run
// behind a load balancer (deploy/compose.yaml): nothing that must be shared lives in one
// process. A session made on one works on the other; the sign-in limit and a token's
// lookups per second hold across both together; a revoked token fails on both; the hold
// scheduler and the import worker process every item exactly once.
import t from "tap";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import { hashPassword } from "../../src/modules/auth/passwords.js";
import { ManualClock } from "../../src/shared/clock.js";
import { createTestDatabase, testPassword } from "../helpers/app.js";
import { browserClient } from "../helpers/browser-client.js";
import { makeApiToken, makeClientAccount, makeDids, makeOperator, makePackage, makeSubscription } from "../helpers/factories.js";
import { waitFor } from "../helpers/jobs.js";

const url = await createTestDatabase(t);
const clock = new ManualClock(new Date("2026-11-27T10:00:00Z"));
const config = { ...loadConfig({}), databaseUrl: url, jobPollIntervalMs: 100, importInlineMaxBytes: 0, signInFailuresPerUsernameAndIp: 3 };
const db = createPrismaClient(url, 2);
t.teardown(() => db.$disconnect());
const passwordHash = await hashPassword(testPassword);
await db.user.createMany({ data: ["desk", "target"].map((username) => ({ username, passwordHash, role: "admin" as const })) });

const instances = await Promise.all(
  ["a", "b"].map(async (name) => {
    const prisma = createPrismaClient(url, 4);
    const app = await buildApp(config, prisma, { logger: false, runJobs: true, clock });
    await app.listen({ port: 0, host: "127.0.0.1" });
    return { name, app, prisma, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
  }),
);
t.teardown(async () => {
  for (const { app, prisma } of instances) {
    await app.close();
    await prisma.$disconnect();
  }
});
const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];

/** A browser that keeps its cookies whichever instance answers; signs in as "desk" unless told. */
function browser() {
  const client = browserClient();
  return { ...client, signIn: (base: string, password = testPassword, username = "desk") => client.signIn(base, username, password) };
}

t.test("a session made on one instance works on the other, and so does signing out", async (t) => {
  const desk = browser();
  t.equal((await desk.signIn(a.base)).status, 303, "signed in on a");
  const onB = await desk.get(b.base, "/dids");
  t.equal(onB.status, 200, "b knows the session");
  t.match(await onB.text(), /desk/, "and whose it is");
  t.equal((await desk.post(b.base, "/signout", new URLSearchParams(), "/dids")).status, 303, "signed out on b");
  const onA = await desk.get(a.base, "/dids");
  t.equal(onA.status, 303, "a no longer knows it");
  t.match(onA.headers.get("location"), /^\/signin/, "and sends to the sign-in page");
});

t.test("the sign-in limit holds across both instances together", async (t) => {
  // Three wrong passwords per username and address; the guesser alternates instances.
  const guesser = browser();
  const statuses: number[] = [];
  for (const instance of [a, b, a, b, a]) statuses.push((await guesser.signIn(instance.base, "wrong password", "target")).status);
  t.same(statuses, [401, 401, 401, 429, 429], "the fourth guess is refused, wherever it lands: three in all, not three each");
  t.equal((await guesser.signIn(b.base, testPassword, "target")).status, 429, "even with the right password, until the window ends");
});

t.test("API tokens: revoked on one instance, refused by both; one limit across both", async (t) => {
  const op = await makeOperator(db);
  await makeDids(db, op.id, ["380441000001"], { status: "in_stock" });
  const token = await makeApiToken(db, { name: "Switch", rateLimit: 50 });
  const lookup = (instance: typeof a, numbers: string[]) =>
    fetch(`${instance.base}/api/v1/route`, { method: "POST", headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" }, body: JSON.stringify({ numbers }) }).then((res) => res.status);

  // 20 numbers a batch against 50 a second: two batches fit, the third does not, on
  // whichever instance it lands. (A second of quiet first, so all three share one.)
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const twenty = Array.from({ length: 20 }, () => "380441000001");
  const statuses = [await lookup(a, twenty), await lookup(b, twenty), await lookup(a, twenty), await lookup(b, twenty)];
  t.same(statuses, [200, 200, 429, 429], "60 lookups within a second are over 50, though each instance answered only 20 or 40");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  t.equal(await lookup(b, ["380441000001"]), 200, "the next second answers again");

  const admin = browser();
  await admin.signIn(b.base);
  const revoked = await admin.post(a.base, `/api-tokens/${token.id}/revoke`, new URLSearchParams(), `/api-tokens/${token.id}/revoke`);
  t.equal(revoked.status, 303, "revoked through a's page");
  t.same([await lookup(a, ["380441000001"]), await lookup(b, ["380441000001"])], [401, 401], "refused on both at once");
});

t.test("the hold scheduler ends every expired hold once, whichever instance runs it", async (t) => {
  const op = await makeOperator(db);
  const account = await makeClientAccount(db, op.resellerId);
  const pkg = await makePackage(db, op.resellerId, { didLimit: 5000 });
  await makeSubscription(db, account.clientId, pkg, { startDate: "2026-11-01" });
  const numbers = Array.from({ length: 2000 }, (_, i) => `38045${String(i).padStart(7, "0")}`);
  await makeDids(db, op.id, numbers, { status: "hold", clientAccountId: account.id, holdUntil: new Date("2026-11-20T00:00:00Z") });
  // Both workers poll every 100 ms; the next scheduler run is due at once.
  await db.$executeRaw`UPDATE job SET run_at = now() WHERE kind = 'hold-scheduler' AND state = 'queued'`;
  await waitFor(async () => (await db.did.count({ where: { number: { in: numbers }, status: "hold" } })) === 0, "the holds to end", 30_000);
  const [events] = await db.$queryRaw<{ n: number; distinct: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT object_id)::int AS distinct FROM audit_event WHERE action = 'hold_end'`;
  t.same(events, { n: 2000, distinct: 2000 }, "one hold_end event per DID: none ended twice");
  t.equal(await db.job.count({ where: { kind: "hold-scheduler", state: { in: ["queued", "running"] } } }), 1, "one scheduler job between the two instances");
});

t.test("the import worker runs every import's steps once, across both instances", async (t) => {
  const op = await makeOperator(db, { name: "Importer" });
  const admin = browser();
  await admin.signIn(a.base);
  const files = 6;
  const rows = 500;
  const ids: number[] = [];
  for (let f = 0; f < files; f++) {
    const instance = f % 2 === 0 ? a : b;
    const body = new FormData();
    for (const [k, v] of Object.entries({ header: "1", operator: String(op.id), status: "in_stock", after_hold: "in_stock" })) body.set(k, v);
    const csv = "DID,Tag\n" + Array.from({ length: rows }, (_, i) => `3806${f}${String(i).padStart(7, "0")},two-instances`).join("\n") + "\n";
    body.set("file", new Blob([csv], { type: "text/csv" }), `part-${f}.csv`);
    const uploaded = await admin.post(instance.base, "/imports", body, "/imports/new");
    t.equal(uploaded.status, 303, `file ${f} uploaded to ${instance.name}`);
    const id = Number(/\d+$/.exec(uploaded.headers.get("location") ?? "")![0]);
    ids.push(id);
    const mapping = new URLSearchParams({ col_0: "did", col_1: "tag", header: "1", delimiter: "comma", action: "check" });
    t.equal((await admin.post(instance.base, `/imports/${id}/mapping`, mapping, `/imports/${id}`)).status, 303);
  }
  const stateOf = async (id: number) => (await db.importRun.findUniqueOrThrow({ where: { id } })).state;
  await waitFor(async () => (await Promise.all(ids.map(stateOf))).every((state) => state === "checked"), "every check", 30_000);
  for (const [i, id] of ids.entries()) t.equal((await admin.post(i % 2 === 0 ? b.base : a.base, `/imports/${id}/commit`, new URLSearchParams(), `/imports/${id}`)).status, 303);
  await waitFor(async () => (await Promise.all(ids.map(stateOf))).every((state) => state === "done"), "every commit", 30_000);

  t.equal(await db.did.count({ where: { tag: "two-instances" } }), files * rows, "every row imported");
  const [events] = await db.$queryRaw<{ n: number; distinct: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT e.object_id)::int AS distinct
    FROM audit_event e JOIN did d ON d.id = e.object_id WHERE e.object_type = 'did' AND d.tag = 'two-instances'`;
  t.same(events, { n: files * rows, distinct: files * rows }, "one event per imported DID: no step ran twice");
  const jobs = await db.job.findMany({ where: { kind: { in: ["import-check", "import-commit"] } } });
  t.equal(jobs.length, files * 2, "one check and one commit job per import");
  t.ok(
    jobs.every((job) => job.state === "done" && job.attempts === 1),
    "each done on its first run",
  );
});
