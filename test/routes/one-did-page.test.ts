// A page whose filter names one DID by its ID (`/dids?id=N`) runs as a prepared statement:
// its plan never depends on the URL's values, so PostgreSQL soon keeps a generic one. Every
// other filter is planned for its values. Either way the page shows what it did before.
import t from "tap";
import pg from "pg";
import { poolOf } from "../../src/db/prisma.js";
import { parseDidListQuery } from "../../src/modules/dids/did-filters.js";
import { listPageSql } from "../../src/modules/dids/dids.repo.js";
import { sessionStandsSql } from "../../src/modules/auth/sessions.repo.js";
import { everything } from "../../src/shared/actor.js";
import { buildTestApp, html, htmx, statementsDuring, tableRows } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

t.test("a page that names one DID", async (t) => {
  const { db, url, admin, signInAs } = await buildTestApp(t);
  const north = await makeReseller(db, "North Reseller");
  const south = await makeReseller(db, "South Reseller");
  const northDids = await makeDids(db, (await makeOperator(db, { resellerId: north.id, name: "North Op" })).id, ["380440000001", "380440000002"], { status: "reserved" });
  const [southDid] = await makeDids(db, (await makeOperator(db, { resellerId: south.id, name: "South Op" })).id, ["380440000009"]);
  const numbersOn = (body: string) => tableRows(html(body)).map((row) => row.find((cell) => /^\d{12}$/.test(cell))).filter(Boolean);

  /** The page's own statement among those the pool was asked for while `work` ran. */
  async function pageStatementOf(work: () => Promise<unknown>): Promise<{ text: string; name?: string } | undefined> {
    return (await statementsDuring(db, work)).statements.find((s) => /did_page_rows/.test(s.text));
  }

  t.test("is read by a prepared statement; other filters are not", async (t) => {
    await admin.inject({ url: "/dids" });
    const byId = await pageStatementOf(() => admin.inject({ url: `/dids?id=${southDid!.id}` }));
    t.match(byId?.name, /^did-page-one-[0-9a-f]{40}$/, "the page by ID has a name");
    t.equal((await pageStatementOf(() => admin.inject({ url: `/dids?id=${northDids[0]!.id}` })))?.name, byId?.name, "another ID: the same statement");
    for (const sort of ["sort=operator&dir=desc", "sort=client", "sort=status&dir=desc", "sort=reseller"]) {
      t.equal((await pageStatementOf(() => admin.inject({ url: `/dids?id=${northDids[0]!.id}&${sort}` })))?.name, byId?.name, `${sort}: the same statement (one row has no order)`);
    }
    const withStatus = await pageStatementOf(() => admin.inject({ url: `/dids?id=${northDids[0]!.id}&status=reserved` }));
    t.match(withStatus?.name, /^did-page-one-[0-9a-f]{40}$/, "with more fields, still one DID at most: named");
    t.not(withStatus?.name, byId?.name, "under a name of its own (another text)");
    for (const path of ["/dids", "/dids?status=reserved", `/dids?operator=${northDids[0]!.operatorId}`, "/dids?contains=0000", "/dids?sort=operator"]) {
      const page = await pageStatementOf(() => admin.inject({ url: path }));
      t.ok(page, `${path}: the page's statement`);
      t.equal(page?.name, undefined, `${path}: unnamed, planned for its values`);
    }
  });

  t.test("shows the DID it names, again and again, on the pool's generic plan", async (t) => {
    const order = [southDid!, northDids[0]!, northDids[1]!, southDid!, northDids[1]!, northDids[0]!, southDid!, northDids[0]!, northDids[1]!, southDid!];
    for (const [i, did] of order.entries()) {
      const res = await admin.inject({ url: `/dids?id=${did.id}` });
      t.equal(res.statusCode, 200);
      t.same(numbersOn(res.body), [did.number], `request ${i + 1}: DID ${did.id} is ${did.number}`);
    }
    // Every connection of the app's pool: what it holds prepared, and how it ran it.
    const pool = poolOf(db);
    const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
    let generic = 0;
    try {
      for (const client of clients) {
        const { rows } = await client.query<{ n: string }>("SELECT coalesce(sum(generic_plans), 0) AS n FROM pg_prepared_statements WHERE name LIKE 'did-page-one-%'");
        generic += Number(rows[0]!.n);
      }
    } finally {
      for (const client of clients) client.release();
    }
    t.ok(generic > 0, `the app's pool ran the page on a generic plan (${generic} times)`);
    const sorted = await admin.inject({ url: `/dids?id=${northDids[1]!.id}&sort=operator&dir=desc` });
    t.same(numbersOn(sorted.body), [northDids[1]!.number], "sorted by operator: the same DID");
    const counted = await admin.inject({ url: `/dids?id=${northDids[1]!.id}&count=exact` });
    t.same(numbersOn(counted.body), [northDids[1]!.number], "counted exactly: the same DID");
    t.equal(html(counted.body).querySelector("[data-total]")?.getAttribute("data-total"), "exact");
    t.match(html(counted.body).querySelector("[data-total]")?.text, /^1 DID\b/, "and a total of one");
    const fragment = await admin.inject({ url: `/dids?id=${northDids[1]!.id}`, headers: htmx });
    t.same(numbersOn(fragment.body), [northDids[1]!.number], "the htmx fragment too");
    const gone = await admin.inject({ url: "/dids?id=999999" });
    t.same(numbersOn(gone.body), [], "an ID that does not exist: no row");
    t.match(gone.body, /No DIDs match/);
  });

  t.test("keeps to each user's scope and to the other fields", async (t) => {
    // Two resellers share one statement (the scope is a parameter), on the same connections.
    const northUser = await signInAs({ role: "reseller", resellerId: north.id });
    const southUser = await signInAs({ role: "reseller", resellerId: south.id });
    for (let i = 0; i < 7; i++) {
      t.same(numbersOn((await northUser.inject({ url: `/dids?id=${northDids[0]!.id}` })).body), [northDids[0]!.number], `north: own DID, request ${i + 1}`);
      t.same(numbersOn((await southUser.inject({ url: `/dids?id=${northDids[0]!.id}` })).body), [], `south: north's DID, request ${i + 1}`);
      t.same(numbersOn((await southUser.inject({ url: `/dids?id=${southDid!.id}` })).body), [southDid!.number], `south: own DID, request ${i + 1}`);
      t.same(numbersOn((await northUser.inject({ url: `/dids?id=${southDid!.id}` })).body), [], `north: south's DID, request ${i + 1}`);
    }
    for (let i = 0; i < 7; i++) {
      t.same(numbersOn((await admin.inject({ url: `/dids?id=${northDids[0]!.id}&status=reserved` })).body), [northDids[0]!.number], "the status matches");
      t.same(numbersOn((await admin.inject({ url: `/dids?id=${southDid!.id}&status=reserved` })).body), [], "the status does not");
    }
  });

  t.test("the statement settles on a generic plan, and it answers for every ID", async (t) => {
    // One connection, the statement exactly as the app builds it for an admin's claimed page.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.teardown(() => client.end());
    const user = await db.user.findUniqueOrThrow({ where: { username: "admin" } });
    const confirm = sessionStandsSql("no-such-session", { userId: user.id, username: user.username, role: user.role, resellerId: null }, new Date(), new Date(0));
    for (const [i, did] of [...northDids, southDid!, ...northDids, southDid!, ...northDids].entries()) {
      const parsed = parseDidListQuery({ id: String(did.id) });
      const sql = listPageSql(everything, parsed.query, true, undefined, confirm);
      const { rows } = await client.query({ name: "probe", text: sql.text, values: sql.values });
      t.same(
        (rows[0].rows as { number: string }[]).map((r) => r.number),
        [did.number],
        `execution ${i + 1}: DID ${did.id}`,
      );
      t.equal(rows[0].confirmed, false, "and the unknown session is not confirmed");
    }
    const { rows } = await client.query<{ generic_plans: string; custom_plans: string }>("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'probe'");
    t.ok(Number(rows[0]!.generic_plans) > 0, `PostgreSQL runs it on a generic plan (generic ${rows[0]!.generic_plans}, custom ${rows[0]!.custom_plans})`);
  });
});
