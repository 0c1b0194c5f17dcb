// The per-(operator, status) counts that did's statement-level triggers keep in
// did_count_delta: after every kind of write (the create form, an import's COPY + INSERT
// ... SELECT, mass edit and delete, a single edit, a rollback, TRUNCATE, concurrent
// writers) they equal count(*) of the did table, and the compaction keeps the sums.
import t, { type Test } from "tap";
import pg from "pg";
import { buildTestApp, form, type Browser } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { multipart } from "../helpers/multipart.js";
import { compactDidCounts } from "../../src/modules/dids/dids.repo.js";

t.test("the DID counts follow every write", async (t) => {
  const { db, admin, url } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const kyiv = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const life = await makeOperator(db, { name: "Lifecell", resellerId: acme.id });

  type Counts = Record<string, number>;
  const actual = async (): Promise<Counts> =>
    Object.fromEntries(
      (await db.$queryRaw<{ k: string; n: number }[]>`SELECT operator_id || '/' || status AS k, count(*)::int AS n FROM did GROUP BY 1`).map((r) => [r.k, r.n]),
    );
  const counted = async (): Promise<Counts> =>
    Object.fromEntries(
      (await db.$queryRaw<{ k: string; n: number }[]>`SELECT operator_id || '/' || status AS k, sum(n)::int AS n FROM did_count_delta GROUP BY 1 HAVING sum(n) <> 0`).map((r) => [r.k, r.n]),
    );
  const agree = async (t: Test, what: string) => t.same(await counted(), await actual(), `the counts equal count(*) ${what}`);
  const post = (who: Browser, path: string, fields: Record<string, string | string[]>) => who.inject({ method: "POST", url: path, ...form(fields), headers: form(fields).headers });

  await makeDids(db, kyiv.id, ["380441000001", "380441000002"]);
  await agree(t, "after a plain insert");

  t.test("the create form, a single edit, a delete", async (t) => {
    let res = await post(admin, "/dids/new", { numbers: "380442000000-380442000099", operator: String(kyiv.id), status: "reserved", after_hold: "in_stock" });
    t.equal(res.statusCode, 303, res.body);
    await agree(t, "after creating 100 DIDs");
    const one = await db.did.findFirstOrThrow({ where: { number: "380442000000" } });
    res = await post(admin, `/dids/${one.id}/edit`, { operator: String(life.id), status: "archive", after_hold: "in_stock", hold_days: "0", tag: "moved", notes: "" });
    t.equal(res.statusCode, 303, res.body);
    t.equal((await counted())[`${life.id}/archive`], 1, "a changed operator and status move one DID between counts");
    await agree(t, "after a single edit");
    res = await post(admin, `/dids/${one.id}/delete`, {});
    t.equal(res.statusCode, 303, res.body);
    await agree(t, "after a single delete");
  });

  t.test("mass edit and mass delete of all matching", async (t) => {
    let res = await post(admin, "/dids/mass-edit/apply", { search: "prefix=380442", select: "all", change_status: "1", status: "in_stock", change_tag: "1", tag: "bulk" });
    t.equal(res.statusCode, 303, res.body);
    t.equal((await counted())[`${kyiv.id}/in_stock`], 2 + 99, "the status change moved the 99 DIDs");
    await agree(t, "after a mass edit of status and tag");
    const rows = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM did_count_delta`;
    res = await post(admin, "/dids/mass-edit/apply", { search: "prefix=380442", select: "all", change_tag: "1", tag: "other" });
    t.equal(res.statusCode, 303, res.body);
    t.same(await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM did_count_delta`, rows, "a change of tags only adds no count row");
    res = await post(admin, "/dids/mass-delete/apply", { search: "prefix=380442", select: "all" });
    t.equal(res.statusCode, 303, res.body);
    await agree(t, "after a mass delete");
  });

  t.test("an import: staged by COPY, written by INSERT ... SELECT", async (t) => {
    const csv = ["DID;Operator;Status", "380443000001-380443000050;Kyivstar;reserved", "380443000051;Lifecell;in stock"].join("\r\n") + "\r\n";
    const body = multipart({ _csrf: admin.csrfToken, header: "1", status: "in_stock", after_hold: "in_stock" }, { name: "n.csv", content: csv });
    const upload = await admin.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
    t.equal(upload.statusCode, 303, upload.body);
    const id = Number(/(\d+)$/.exec(String(upload.headers.location))![1]);
    let res = await post(admin, `/imports/${id}/mapping`, { col_0: "did", col_1: "operator", col_2: "status", header: "1", delimiter: "semicolon", action: "check" });
    t.equal(res.statusCode, 303, res.body);
    res = await post(admin, `/imports/${id}/commit`, {});
    t.equal(res.statusCode, 303, res.body);
    t.equal((await counted())[`${kyiv.id}/reserved`], 50);
    await agree(t, "after an import");
  });

  t.test("a rolled back write leaves the counts as they were", async (t) => {
    const before = await counted();
    await t.rejects(
      db.$transaction(async (tx) => {
        await tx.$executeRaw`UPDATE did SET status = 'archive' WHERE operator_id = ${kyiv.id}`;
        await tx.$executeRaw`DELETE FROM did WHERE operator_id = ${life.id}`;
        throw new Error("changed my mind");
      }),
    );
    t.same(await counted(), before);
    await agree(t, "after a rollback");
  });

  t.test("concurrent writers in open transactions, committed in another order", async (t) => {
    const a = new pg.Client({ connectionString: url });
    const b = new pg.Client({ connectionString: url });
    await a.connect();
    await b.connect();
    t.teardown(() => Promise.all([a.end(), b.end()]));
    await a.query("BEGIN");
    await b.query("BEGIN");
    await a.query(`INSERT INTO did (number, operator_id, status, updated_at) SELECT '38044500' || lpad(i::text, 4, '0'), $1, 'in_stock', now() FROM generate_series(1, 500) i`, [kyiv.id]);
    await b.query(`INSERT INTO did (number, operator_id, status, updated_at) SELECT '38044600' || lpad(i::text, 4, '0'), $1, 'reserved', now() FROM generate_series(1, 300) i`, [life.id]);
    await b.query("UPDATE did SET status = 'archive' WHERE number LIKE '380446%' AND number <= '380446000100'");
    const seenByA = Number((await a.query("SELECT sum(n) AS n FROM did_count_delta")).rows[0].n);
    const countedByA = Number((await a.query("SELECT count(*) AS n FROM did")).rows[0].n);
    t.equal(seenByA, countedByA, "inside a transaction, its own uncommitted rows are counted, another's are not");
    // Compaction while both are open: it folds only what it sees.
    await compactDidCounts(db);
    await b.query("COMMIT");
    await agree(t, "with one writer committed and one open");
    await a.query("COMMIT");
    await agree(t, "with both committed");
  });

  t.test("compaction keeps the sums and leaves one row per (operator, status)", async (t) => {
    const before = await counted();
    const folded = await compactDidCounts(db);
    t.ok(folded.after <= folded.before);
    t.same(await counted(), before);
    const [rows] = await db.$queryRaw<{ rows: number; groups: number }[]>`SELECT count(*)::int AS rows, count(DISTINCT (operator_id, status))::int AS groups FROM did_count_delta`;
    t.equal(rows!.rows, rows!.groups);
    await agree(t, "after compaction");
  });

  t.test("TRUNCATE empties the counts", async (t) => {
    await db.$executeRawUnsafe("TRUNCATE did CASCADE");
    t.same(await counted(), {});
    t.equal(await db.didCountDelta.count(), 0);
  });
});
