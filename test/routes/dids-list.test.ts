// GET /dids: the page and its htmx fragment, every filter, sorting, paging, and bad URLs.
import t from "tap";
import { buildTestApp, html, htmx, tableRows, text } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

t.test("the inventory", async (t) => {
  const { db, admin } = await buildTestApp(t);
  const acme = await makeReseller(db, "Acme");
  const globex = await makeReseller(db, "Globex");
  const kyiv = await makeOperator(db, { name: "Kyivstar", resellerId: acme.id });
  const lifecell = await makeOperator(db, { name: "Lifecell", resellerId: globex.id });
  const account = await makeClientAccount(db, acme.id, { client: "Hotel Dnipro", account: "front-desk" });
  await makeDids(db, kyiv.id, ["380441110001", "380441110002", "380441555000"], { tag: "gold" });
  await makeDids(db, kyiv.id, ["380442220001"], { status: "active", clientAccountId: account.id, notes: "VIP line <b>1</b>" });
  await makeDids(db, lifecell.id, ["15551234567", "15559990000"], { status: "reserved", notes: "for the 50% promo" });
  await makeDids(db, lifecell.id, ["4930555123"], { status: "archive", tag: "old" });

  const get = (url: string, headers: Record<string, string> = {}) => admin.inject({ url, headers });
  const numbers = async (url: string) => {
    const res = await get(url);
    t.equal(res.statusCode, 200, url);
    return tableRows(html(res.body)).map((cells) => cells[3]);
  };

  t.test("full page: layout, columns, count, sorted by number", async (t) => {
    const res = await get("/dids");
    t.equal(res.statusCode, 200);
    t.match(res.headers["content-type"], /text\/html/);
    t.match(res.headers.vary, /HX-Request/);
    const doc = html(res.body);
    t.ok(doc.querySelector("html"), "a whole document");
    t.equal(text(doc.querySelector("title")), "DID inventory · DID inventory");
    t.same(doc.querySelectorAll("table.list thead th").map((th) => text(th).replace(/ [▲▼]$/, "")), ["ID", "Status", "Operator", "DID", "Tag", "Notes", "Client", "Reseller", "Hold until", "History"]);
    t.match(text(doc.querySelector(".summary")), /^7 DIDs · page 1 of 1/);
    const rows = tableRows(doc);
    t.same(rows.map((r) => r[3]), ["15551234567", "15559990000", "380441110001", "380441110002", "380441555000", "380442220001", "4930555123"]);
    const active = rows.find((r) => r[3] === "380442220001")!;
    t.same(active.slice(1), ["Active", "Kyivstar", "380442220001", "", "VIP line <b>1</b>", "Hotel Dnipro / front-desk", "Acme", "", "History"]);
    t.notOk(res.body.includes("<b>1</b>"), "notes are escaped");
  });

  t.test("fragment for htmx: no layout, same rows, canonical URL pushed", async (t) => {
    const res = await get("/dids?contains=555&operator=&tag=", htmx);
    t.equal(res.statusCode, 200);
    t.notMatch(res.body, /<html/);
    t.match(res.headers.vary, /HX-Request/);
    t.equal(res.headers["hx-push-url"], "/dids?contains=555");
    const doc = html(res.body);
    t.ok(doc.querySelector("#did-browser"));
    t.same(tableRows(doc).map((r) => r[3]), ["15551234567", "15559990000", "380441555000", "4930555123"]);
  });

  t.test("a history restore gets the whole page", async (t) => {
    const res = await get("/dids?contains=555", { ...htmx, "hx-history-restore-request": "true" });
    t.match(res.body, /<html/);
  });

  t.test("each filter", async (t) => {
    t.same(await numbers("/dids?prefix=38044111"), ["380441110001", "380441110002"]);
    t.same(await numbers("/dids?prefix=%2B1555"), ["15551234567", "15559990000"]);
    t.same(await numbers("/dids?from=380441110002&to=380442220001"), ["380441110002", "380441555000", "380442220001"]);
    t.same(await numbers("/dids?from=15559990000"), ["15559990000"], "from alone: same length only");
    t.same(await numbers("/dids?status=reserved&status=archive"), ["15551234567", "15559990000", "4930555123"]);
    t.same(await numbers(`/dids?operator=${lifecell.id}&status=reserved`), ["15551234567", "15559990000"]);
    t.same(await numbers(`/dids?reseller=${acme.id}`), ["380441110001", "380441110002", "380441555000", "380442220001"]);
    t.same(await numbers("/dids?tag=gold"), ["380441110001", "380441110002", "380441555000"]);
    t.same(await numbers(`/dids?client=${account.clientId}`), ["380442220001"]);
    t.same(await numbers("/dids?notes=50%25"), ["15551234567", "15559990000"], "% in notes is literal");
    t.same(await numbers("/dids?notes=vip"), ["380442220001"], "notes match ignores case");
    const [first] = await db.did.findMany({ where: { number: "4930555123" } });
    t.same(await numbers(`/dids?id=${first!.id}`), ["4930555123"]);
  });

  t.test("no match: a clear empty state", async (t) => {
    const res = await get("/dids?contains=000000999");
    t.equal(res.statusCode, 200);
    const doc = html(res.body);
    t.equal(tableRows(doc).length, 0);
    t.match(text(doc.querySelector(".empty")), /No DIDs match this search/);
    t.ok(doc.querySelector('.empty a[href="/dids"]'), "a way back");
  });

  t.test("the form shows the search it ran", async (t) => {
    const doc = html((await get(`/dids?contains=555&status=active&operator=${kyiv.id}`)).body);
    t.equal(doc.querySelector("#s-contains")?.getAttribute("value"), "555");
    t.ok(doc.querySelector('input[name=status][value=active]')?.hasAttribute("checked"));
    t.notOk(doc.querySelector('input[name=status][value=hold]')?.hasAttribute("checked"));
    t.ok(doc.querySelector(`#s-operator option[value="${kyiv.id}"]`)?.hasAttribute("selected"));
  });

  t.test("sort by every column, both directions", async (t) => {
    for (const column of ["id", "status", "operator", "number", "tag", "notes", "client", "reseller"]) {
      for (const dir of ["asc", "desc"]) {
        const res = await get(`/dids?sort=${column}&dir=${dir}`);
        t.equal(res.statusCode, 200, `${column} ${dir}`);
        t.equal(tableRows(html(res.body)).length, 7);
      }
    }
    t.same(await numbers("/dids?sort=number&dir=desc"), ["4930555123", "380442220001", "380441555000", "380441110002", "380441110001", "15559990000", "15551234567"]);
    const byOperator = tableRows(html((await get("/dids?sort=operator&dir=desc")).body)).map((r) => r[2]);
    t.same(byOperator, ["Lifecell", "Lifecell", "Lifecell", "Kyivstar", "Kyivstar", "Kyivstar", "Kyivstar"]);
    const doc = html((await get("/dids?sort=tag&dir=asc")).body);
    const tagHeader = doc.querySelectorAll("thead th")[4]!;
    t.equal(tagHeader.getAttribute("aria-sort"), "ascending");
    t.match(tagHeader.querySelector("a")!.getAttribute("href"), /sort=tag&dir=desc/, "clicking again reverses");
  });

  t.test("pages of 25, 50, 100 and 500", async (t) => {
    const extra = Array.from({ length: 120 }, (_, i) => `49301${String(i).padStart(5, "0")}`);
    await makeDids(db, kyiv.id, extra, { tag: "bulk" });
    t.teardown(() => db.did.deleteMany({ where: { tag: "bulk" } }).then(() => undefined));
    for (const per of [25, 50, 100, 500]) {
      const doc = html((await get(`/dids?tag=bulk&per=${per}`)).body);
      t.equal(tableRows(doc).length, Math.min(per, 120), `per=${per}`);
    }
    const page2 = html((await get("/dids?tag=bulk&per=25&page=2")).body);
    t.same(tableRows(page2)[0]![3], "4930100025");
    t.match(text(page2.querySelector(".summary")), /120 DIDs match · page 2 of 5/);
    t.equal(page2.querySelector('a[rel="next"]')?.getAttribute("href"), "/dids?tag=bulk&per=25&page=3");
    t.equal(page2.querySelector('a[rel="prev"]')?.getAttribute("href"), "/dids?tag=bulk&per=25");
    const past = html((await get("/dids?tag=bulk&page=40")).body);
    t.match(text(past.querySelector(".notice")), /Page 40 is past the end/);
  });

  t.test("bad URLs: 400 with the message at the field, never a 500", async (t) => {
    const cases: [string, string, RegExp][] = [
      ["/dids?status=sold", "status", /not a DID status/],
      ["/dids?page=-1", "page", /from 1/],
      ["/dids?per=100000", "per", /one of 25, 50, 100, 500/],
      ["/dids?id=abc", "id", /whole number/],
      ["/dids?sort=secret", "sort", /not a valid sort column/],
      ["/dids?operator=999999", "operator", /no operator with ID 999999/],
      ["/dids?reseller=999999", "reseller", /no reseller/],
      ["/dids?client=999999", "client", /no client/],
      ["/dids?batch=999999", "batch", /no creation batch/],
      ["/dids?contains=%3Cscript%3E", "contains", /digits only/],
      [`/dids?tag=${"t".repeat(65)}`, "tag", /at most 64/],
      ["/dids?tag=%00", "tag", /control characters/],
    ];
    for (const [url, field, message] of cases) {
      for (const headers of [{}, htmx]) {
        const res = await get(url, headers);
        t.equal(res.statusCode, 400, url);
        const doc = html(res.body);
        t.match(text(doc.querySelector(`#${field}-error`)), message, `${url} message at ${field}`);
        t.equal(tableRows(doc).length, 0);
      }
    }
  });

  t.test("HTML and SQL-looking search text is shown escaped and harmless", async (t) => {
    const res = await get(`/dids?tag=${encodeURIComponent(`"><script>alert(1)</script>' OR 1=1 --`)}`);
    t.equal(res.statusCode, 200);
    t.notMatch(res.body, /<script>alert/);
    t.equal(html(res.body).querySelector("#s-tag")?.getAttribute("value"), `"><script>alert(1)</script>' OR 1=1 --`);
    t.equal(await db.did.count(), 7, "nothing happened to the table");
  });
});

t.test("an empty inventory invites to create DIDs, in the dialog", async (t) => {
  const { admin } = await buildTestApp(t);
  const doc = html((await admin.inject({ url: "/dids" })).body);
  t.match(text(doc.querySelector(".empty")), /No DIDs match\. Create DIDs/);
  const link = doc.querySelector('.empty a[href="/dids/new"]')!;
  // Inside the boosted search area: without its own target and swap it would replace the table.
  t.same([link.getAttribute("hx-target"), link.getAttribute("hx-swap"), link.getAttribute("hx-push-url")], ["#dialog", "innerHTML", "false"]);
});

