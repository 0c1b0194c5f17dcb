// The cursor that exports read through (src/db/cursor.ts): rows fetched batch by batch,
// a failing query failing before any row, connections always given back, and a pool that
// says "busy" instead of making a request wait for ever.
import t from "tap";
import { createCursorPool, CursorPoolBusy, openCursor } from "../../src/db/cursor.js";
import { createTestDatabase } from "../helpers/app.js";

async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) all.push(...batch);
  return all;
}

t.test("cursor", async (t) => {
  const url = await createTestDatabase(t);
  const idleErrors: Error[] = [];
  const pool = createCursorPool(url, { size: 1, waitMs: 300, onIdleError: (error) => idleErrors.push(error), applicationName: "cursor test" });
  t.teardown(() => pool.end());
  const series = (n: number) => ({ text: "SELECT i FROM generate_series(1, $1::int) i", values: [n] });

  t.test("every row, in batches, then the connection goes back", async (t) => {
    const cursor = await openCursor<{ i: number }>(pool, series(2500), 1000);
    const sizes: number[] = [];
    let sum = 0;
    for await (const batch of cursor) {
      sizes.push(batch.length);
      for (const row of batch) sum += row.i;
    }
    t.same(sizes, [1000, 1000, 500]);
    t.equal(sum, (2500 * 2501) / 2);
    t.equal(pool.idleCount, 1, "kept for the next cursor");
    cursor.close();
    t.equal(pool.totalCount, 1, "closing after the end does nothing");
    const empty = await openCursor(pool, series(0));
    t.same(await collect(empty), []);
    t.equal(pool.idleCount, 1);
  });

  t.test("a failing query fails when opened, and frees its connection", async (t) => {
    await t.rejects(openCursor(pool, { text: "SELECT 1 / (i - 1) FROM generate_series(1, 3) i", values: [] }), /division by zero/);
    const next = await openCursor<{ i: number }>(pool, series(1));
    t.same(await collect(next), [{ i: 1 }], "the only connection is free again");
  });

  t.test("one more cursor than the pool holds waits, then is told busy", async (t) => {
    const held = await openCursor<{ i: number }>(pool, series(5000), 100);
    const started = Date.now();
    const busy = await openCursor(pool, series(1)).catch((error: unknown) => error);
    t.ok(busy instanceof CursorPoolBusy, "CursorPoolBusy");
    t.ok(Date.now() - started >= 250, "after the pool's wait");
    held.close();
    held.close();
    t.equal(pool.totalCount, 0, "a cursor closed half-way ends its connection (its transaction is still open)");
    t.same(await collect(await openCursor(pool, series(2))), [{ i: 1 }, { i: 2 }], "and the next cursor gets a fresh one");
  });

  t.test("a reader that stops early frees the connection too", async (t) => {
    const cursor = await openCursor<{ i: number }>(pool, series(5000), 100);
    for await (const batch of cursor) if (batch.some((row) => row.i === 150)) break;
    t.equal(pool.totalCount, 0);
    t.same(idleErrors, []);
  });
});
