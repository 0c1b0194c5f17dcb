// The inventory's total: exact from the counters (no filter, statuses, operator, reseller),
// exact from the page itself when it is the last one, exact by count(*) when the planner
// expects few matches, and otherwise "about N" with a "count exactly" link (count=exact,
// a real GET that htmx swaps in place). The threshold is lowered here to exercise "about".
import t from "tap";
import { buildTestApp, html, htmx, tableRows, text } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { viewHelpers } from "../../src/shared/view-helpers.js";

t.test("estimated and exact totals", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t, { countExactUpTo: 5 });
  const acme = await makeReseller(db, "Acme");
  const kyiv = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  await makeDids(db, kyiv.id, Array.from({ length: 30 }, (_, i) => `3804410000${String(i).padStart(2, "0")}`), { tag: "gold" });
  await makeDids(db, kyiv.id, Array.from({ length: 10 }, (_, i) => `3804420000${String(i).padStart(2, "0")}`), { status: "reserved" });
  // The planner's estimates come from the statistics ANALYZE keeps.
  await db.$executeRawUnsafe("ANALYZE did");

  const page = async (url: string, headers: Record<string, string> = {}) => {
    const res = await admin.inject({ url, headers });
    t.equal(res.statusCode, 200, url);
    const doc = html(res.body);
    return { res, doc, summary: text(doc.querySelector(".summary")), total: doc.querySelector(".summary [data-total]")?.getAttribute("data-total"), pager: doc.querySelectorAll(".pager a").map((a) => [text(a), a.getAttribute("href")]) };
  };

  t.test("the counters answer no filter, statuses, operator and reseller exactly, however low the threshold", async (t) => {
    for (const [url, summary] of [
      ["/dids?per=25", /^40 DIDs · page 1 of 2$/],
      ["/dids?status=reserved&per=25", /^10 DIDs match · page 1 of 1$/],
      [`/dids?operator=${kyiv.id}&status=in_stock&per=25`, /^30 DIDs match · page 1 of 2$/],
      [`/dids?reseller=${acme.id}&per=25`, /^40 DIDs match · page 1 of 2$/],
    ] as const) {
      const p = await page(url);
      t.match(p.summary, summary, url);
      t.equal(p.total, "exact", url);
    }
  });

  t.test("a reseller's user: the counters within the scope", async (t) => {
    const globex = await makeReseller(db, "Globex");
    const life = await makeOperator(db, { name: "Lifecell", resellerId: globex.id });
    await makeDids(db, life.id, ["15550000001", "15550000002", "15550000003"]);
    const user = await signInAs({ role: "reseller", resellerId: globex.id });
    const doc = html((await user.inject({ url: "/dids" })).body);
    t.match(text(doc.querySelector(".summary")), /^3 DIDs · page 1 of 1$/);
    t.match(text(html((await user.inject({ url: "/dids?status=in_stock" })).body).querySelector(".summary")), /^3 DIDs match/);
    t.match(text(html((await admin.inject({ url: "/dids?per=25" })).body).querySelector(".summary")), /^43 DIDs · page 1 of 2$/, "the admin sees every reseller's");
    await db.did.deleteMany({ where: { operatorId: life.id } });
  });

  t.test("a large search without a counter: about N, a next page, no last page, and count exactly", async (t) => {
    const p = await page("/dids?tag=gold&per=25");
    t.match(p.summary, /^about \d+ DIDs match · page 1 · count exactly$/, "an estimate says so: never printed like a count");
    t.equal(p.total, "estimate");
    t.equal(p.doc.querySelector("a.count-exactly")?.getAttribute("href"), "/dids?tag=gold&per=25&count=exact", "a bookmarkable link: the same URL plus count=exact");
    t.same(p.pager.filter(([label]) => /Next|Last|First/.test(label!)), [["Next ›", "/dids?tag=gold&per=25&page=2"]], "a full page has a next one; without a count there is no last");
    t.match(text(p.doc.querySelector("label[for=export-format]")), /^Export all matching DIDs \(about \d+ DIDs\) as$/);
    t.match(text(p.doc.querySelectorAll("label").find((l) => l.querySelector("#select-all-matching"))), /All DIDs matching this search \(about \d+ DIDs\)/);
  });

  t.test("count exactly: the exact count, kept in the URL and its links, swapped in place by htmx", async (t) => {
    const p = await page("/dids?tag=gold&per=25&count=exact");
    t.match(p.summary, /^30 DIDs match · page 1 of 2$/);
    t.equal(p.total, "exact");
    t.ok(p.pager.some(([label, href]) => label === "Last »" && href === "/dids?tag=gold&per=25&count=exact&page=2"), "paging keeps the exact count");
    const fragment = await page("/dids?tag=gold&per=25&count=exact", htmx);
    t.notMatch(fragment.res.body, /<html/, "a fragment for htmx");
    t.equal(fragment.res.headers["hx-push-url"], "/dids?tag=gold&per=25&count=exact");
    t.match(fragment.summary, /^30 DIDs match · page 1 of 2$/);
    t.notOk(p.doc.querySelector("form.search input[name=count]"), "a new search is estimated again");
  });

  t.test("the last page of an estimated search knows the total exactly", async (t) => {
    const p = await page("/dids?tag=gold&per=25&page=2");
    t.match(p.summary, /^30 DIDs match · page 2 of 2$/);
    t.equal(tableRows(p.doc).length, 5);
  });

  t.test("a page past the end of an estimated search", async (t) => {
    const p = await page("/dids?tag=gold&per=25&page=9");
    t.match(text(p.doc.querySelector(".results .notice")), /Page 9 is past the end\. Go to the first page, or count exactly to find the last/);
  });

  t.test("under the threshold the planner's estimate leads to an exact count", async (t) => {
    const { db: db2, admin: admin2 } = await buildTestApp(t);
    const op = await makeOperator(db2, { name: "Lifecell" });
    await makeDids(db2, op.id, Array.from({ length: 30 }, (_, i) => `1555000${String(i).padStart(4, "0")}`), { tag: "gold" });
    await db2.$executeRawUnsafe("ANALYZE did");
    const res = await admin2.inject({ url: "/dids?tag=gold&per=25" });
    t.match(text(html(res.body).querySelector(".summary")), /^30 DIDs match · page 1 of 2$/);
  });

  t.test("count takes only “exact”", async (t) => {
    const res = await admin.inject({ url: "/dids?count=roughly" });
    t.equal(res.statusCode, 400);
    t.match(text(html(res.body).querySelector("#count-error")), /only “exact”/);
  });

  t.test("the wording of an estimate", async (t) => {
    t.equal(viewHelpers.about(10_000_000), "about 10.0 million");
    t.equal(viewHelpers.about(1_234_567), "about 1.2 million");
    t.equal(viewHelpers.about(249_871), "about 250,000");
    t.equal(viewHelpers.about(108_896), "about 110,000");
  });
});
