// hotPathQuery's named statements across a migration: a statement prepared before a column
// it returns changed type fails once on its connection; the read is tried again and the
// caller never sees it.
import t from "tap";
import { createPrismaClient, hotPathQuery, poolOf } from "../../src/db/prisma.js";
import { createTestDatabase } from "../helpers/app.js";

// Dropped at the end of the file, after the subtest's pool has ended.
const url = await createTestDatabase(t);

t.test("a named statement outlives a migration that changes what it returns", async (t) => {
  // Two connections, both holding the prepared statement: each fails once after the change.
  const db = createPrismaClient(url, 2);
  const pool = poolOf(db);
  // Prisma never connects here, so its $disconnect would leave the pool open.
  t.teardown(() => pool.end());
  await pool.query("CREATE TABLE hot_path_probe (id int PRIMARY KEY, label varchar(10))");
  await pool.query("INSERT INTO hot_path_probe VALUES (1, 'before')");
  const read = () => hotPathQuery<{ label: string }>(db, "SELECT label FROM hot_path_probe WHERE id = $1", [1], "hot-path-probe");
  // Prepare it on both connections: two reads at once take one each.
  t.same(await Promise.all([read(), read()]), [[{ label: "before" }], [{ label: "before" }]]);
  t.equal(pool.totalCount, 2);

  await pool.query("ALTER TABLE hot_path_probe ALTER COLUMN label TYPE text");
  await pool.query("UPDATE hot_path_probe SET label = 'after'");
  const prepared = await pool.query("SELECT 1");
  t.ok(prepared, "the pool still answers plain queries");
  t.same(await read(), [{ label: "after" }], "the first read after the change answers");
  t.same(await Promise.all([read(), read()]), [[{ label: "after" }], [{ label: "after" }]], "and so do the next ones, on every connection");

  // The same statement, unretried, is what the retry hides.
  const client = await pool.connect();
  try {
    await client.query({ name: "probe-direct", text: "SELECT label FROM hot_path_probe WHERE id = $1", values: [1] });
    await client.query("ALTER TABLE hot_path_probe ALTER COLUMN label TYPE varchar(20)");
    await t.rejects(client.query({ name: "probe-direct", text: "SELECT label FROM hot_path_probe WHERE id = $1", values: [1] }), { code: "0A000" });
  } finally {
    client.release(true);
  }
});
