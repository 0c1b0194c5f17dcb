// The sign-in throttle's own rules, below HTTP, on its PostgreSQL counters: how client
// addresses are keyed, that a reservation given back can never leave a counter below zero
// (a free guess), and that two instances (two pools) count together. The limits
// themselves are tested through HTTP in test/routes/auth.test.ts and across two running
// instances in test/routes/two-instances.test.ts.
import pg from "pg";
import t from "tap";
import { addressKey, createSignInThrottle as createThrottle, type Gate, type ThrottleLimits } from "../../src/modules/auth/sign-in-throttle.js";
import { deleteExpiredCounters } from "../../src/db/shared-counters.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import { createTestDatabase } from "../helpers/app.js";

const url = await createTestDatabase(t);
const pools: pg.Pool[] = [];
t.teardown(() => Promise.all(pools.map((pool) => pool.end())));
function createSignInThrottle(limits: ThrottleLimits) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pools.push(pool);
  return createThrottle(limits, pool);
}
t.beforeEach(async () => {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await pool.query("TRUNCATE rate_limit");
  await pool.end();
});

t.test("client addresses: IPv4 as is, IPv6 by its /64", async (t) => {
  const cases: [string, string][] = [
    ["192.0.2.7", "192.0.2.7"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["::FFFF:192.0.2.7", "192.0.2.7"],
    ["0:0:0:0:0:ffff:c000:207", "192.0.2.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:db8:1::", "2001:db8:1:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::", "0:0:0:0::/64"],
    ["64:ff9b::192.0.2.7", "64:ff9b:0:0::/64"],
  ];
  for (const [ip, key] of cases) t.equal(addressKey(ip), key, ip);
  t.equal(addressKey("2001:db8:1:2::a"), addressKey("2001:db8:1:2:ffff::b"), "one /64, one counter");
  t.not(addressKey("2001:db8:1:2::a"), addressKey("2001:db8:1:3::a"), "another /64, another counter");
  t.not(addressKey("::ffff:192.0.2.7"), addressKey("::ffff:192.0.2.8"), "IPv4 clients on a dual-stack socket do not share the ::/64 key");
});

const limits = { failuresPerUsernameAndAddress: 1, failuresPerAddress: 100, failuresPerUsername: 100, windowMinutes: 15 };
function allowed(gate: Gate) {
  if (!gate.allowed) throw new Error("expected the attempt to go");
  return gate;
}

t.test("giving back twice gives back once", async (t) => {
  const throttle = createSignInThrottle(limits);
  const first = allowed(await throttle.signIn("pat", "10.0.0.1", false));
  await first.notAGuess();
  await first.notAGuess();
  t.ok((await throttle.signIn("pat", "10.0.0.1", false)).allowed, "one guess is allowed");
  t.notOk((await throttle.signIn("pat", "10.0.0.1", false)).allowed, "and no second one: the counter never went below zero");
});

t.test("a reservation given back after its window is over gives nothing back", async (t) => {
  const realNow = Date.now;
  t.teardown(() => void (Date.now = realNow));
  const throttle = createSignInThrottle(limits);
  const slow = allowed(await throttle.signIn("pat", "10.0.0.2", false));
  Date.now = () => realNow() + 16 * 60_000;
  // The right password, found after the window ended: the counter has started again.
  await slow.notAGuess();
  t.ok((await throttle.signIn("pat", "10.0.0.2", false)).allowed, "the new window's one guess");
  const refused = await throttle.signIn("pat", "10.0.0.2", false);
  t.notOk(refused.allowed, "and no free second one");
  t.ok(!refused.allowed && refused.retryAfterSeconds > 14 * 60 && refused.retryAfterSeconds <= 15 * 60, "the wait is the new window's");
});

t.test("a lockout ends with its window, however often the locked door is tried", async (t) => {
  const realNow = Date.now;
  t.teardown(() => void (Date.now = realNow));
  const throttle = createSignInThrottle({ ...limits, failuresPerUsernameAndAddress: 2 });
  for (let i = 0; i < 2; i++) t.ok((await throttle.signIn("pat", "10.0.0.3", false)).allowed, `wrong password ${i + 1} of 2`);
  for (const minutes of [1, 5, 10, 14]) {
    Date.now = () => realNow() + minutes * 60_000;
    const gate = await throttle.signIn("pat", "10.0.0.3", false);
    t.ok(!gate.allowed && gate.retryAfterSeconds <= (15 - minutes) * 60, `refused after ${minutes} minutes, with a shrinking wait`);
  }
  Date.now = () => realNow() + 15 * 60_000 + 1000;
  t.ok((await throttle.signIn("pat", "10.0.0.3", false)).allowed, "free again when the window ends");
});

t.test("two instances (two pools) count against one limit", async (t) => {
  const limits3 = { ...limits, failuresPerUsernameAndAddress: 3 };
  const [a, b] = [createSignInThrottle(limits3), createSignInThrottle(limits3)];
  const gates = await Promise.all([a, b, a, b, a, b].map((throttle) => throttle.signIn("kim", "10.0.0.4", false)));
  t.equal(gates.filter((gate) => gate.allowed).length, 3, "six wrong passwords at once on two instances: three are checked, not six");
  t.notOk((await a.signIn("kim", "10.0.0.4", false)).allowed, "refused on the first");
  t.notOk((await b.signIn("kim", "10.0.0.4", false)).allowed, "and on the second");
});

t.test("the purge deletes counters an hour past their window, and only those", async (t) => {
  const throttle = createSignInThrottle(limits);
  await throttle.signIn("lee", "10.0.0.5", false);
  const db = createPrismaClient(url, 1);
  t.teardown(() => db.$disconnect());
  t.equal(await deleteExpiredCounters(db), 0, "nothing expired yet");
  t.equal(await deleteExpiredCounters(db, Date.now() + 16 * 60_000), 0, "a window just ended is kept for an hour");
  t.equal(await deleteExpiredCounters(db, Date.now() + 76 * 60_000), 3, "an hour later its three counters go");
});
