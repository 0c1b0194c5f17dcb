// The routing API's limits on their PostgreSQL counters, below HTTP: instances take a
// token's second in shares, and however the lookups are spread, the token never gets more
// than its limit in a second; near the limit it gets nearly all of it.
import pg from "pg";
import t from "tap";
import { ApiRateLimits, unknownTokensPerMinute } from "../../src/modules/routing/api-rate-limits.js";
import { createTestDatabase } from "../helpers/app.js";

const url = await createTestDatabase(t);
const pools = [1, 2, 3].map(() => new pg.Pool({ connectionString: url, max: 4 }));
t.teardown(() => Promise.all(pools.map((pool) => pool.end())));

t.test("three instances, 600 lookups at once against 200 a second: at most 200 pass", async (t) => {
  const instances = pools.map((pool) => new ApiRateLimits(pool, 1000));
  for (const limits of instances) await limits.learn("token-a", 200);
  const answers = await Promise.all(Array.from({ length: 600 }, (_, i) => instances[i % 3]!.take("token-a", 1)));
  const passed = answers.filter((wait) => wait === undefined).length;
  t.ok(passed <= 200, `${passed} passed: never more than the limit`);
  t.ok(passed >= 200 - 3 * 10, `${passed} passed: at most a share (10) per instance is lost`);
  t.ok(answers.every((wait) => wait === undefined || wait === 1), "the refused wait a second");
});

t.test("a batch counts each number, across instances", async (t) => {
  const [a, b] = pools.map((pool) => new ApiRateLimits(pool, 100));
  t.equal(await a!.take("token-b", 60), undefined, "60 of 100 on one instance");
  t.equal(await b!.take("token-b", 60), 1, "60 more on the other are refused");
  t.equal(await b!.take("token-b", 1), 1, "and the rest of that second is refused there without asking again");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  t.equal(await b!.take("token-b", 100), undefined, "a new second: a batch as large as the limit");
});

t.test("unknown tokens from one address: counted on every instance together", async (t) => {
  const [a, b] = pools.map((pool) => new ApiRateLimits(pool, 100));
  for (let i = 0; i < unknownTokensPerMinute; i++) await (i % 2 ? a : b)!.unknownTokenFrom("192.0.2.9");
  t.ok(a!.unknownTokensAllowed("192.0.2.9") !== undefined || b!.unknownTokensAllowed("192.0.2.9") !== undefined, "the instance that counted the last one cools the address down");
  await a!.unknownTokenFrom("192.0.2.9");
  await b!.unknownTokenFrom("192.0.2.9");
  t.ok((a!.unknownTokensAllowed("192.0.2.9") ?? 0) > 50, "both wait most of a minute");
  t.ok((b!.unknownTokensAllowed("192.0.2.9") ?? 0) > 50);
  t.equal(a!.unknownTokensAllowed("192.0.2.10"), undefined, "another address is not affected");
});
