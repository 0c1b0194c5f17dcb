// The inventory's search, sort, pager, bookmarks and Back button, in a real browser, with
// JavaScript on (htmx swaps #did-browser and pushes the canonical URL) and off (plain
// GET forms and links).
import t from "tap";
import type { Page } from "playwright-core";
import type { Db } from "../../src/db/prisma.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import {
  countDocumentLoads,
  didColumn,
  documentMarked,
  expectEventually,
  jsModes,
  launchBrowser,
  markDocument,
  numberRange,
  openPage,
  shownNumbers,
  startServer,
  tableCells,
  textOf,
} from "./browser.js";

const browser = await launchBrowser(t);

const statusLabel = { in_stock: "In stock", reserved: "Reserved", blocked: "Blocked", archive: "Archive" } as const;

/** 78 DIDs of two operators of one reseller; the search below matches exactly 10 of them. */
async function seedInventory(db: Db) {
  const reseller = await makeReseller(db, "Dnipro Reseller");
  const alpha = await makeOperator(db, { name: "Alpha Voice", resellerId: reseller.id });
  const beta = await makeOperator(db, { name: "Beta Lines", resellerId: reseller.id });
  const batches = [
    { operator: alpha, status: "in_stock", numbers: numberRange("380445500001", 20) },
    { operator: alpha, status: "reserved", numbers: numberRange("380445500021", 5) }, // match
    { operator: beta, status: "reserved", numbers: numberRange("380445500026", 5) }, // wrong operator
    { operator: beta, status: "in_stock", numbers: numberRange("380445500031", 10) },
    { operator: alpha, status: "blocked", numbers: numberRange("380445500041", 5) }, // match
    { operator: alpha, status: "reserved", numbers: numberRange("380445577001", 3) }, // does not contain 55000
    { operator: beta, status: "archive", numbers: numberRange("380445599001", 30) },
  ] as const;
  const dids: { id: number; number: string; status: keyof typeof statusLabel; operatorName: string }[] = [];
  for (const batch of batches) {
    const created = await makeDids(db, batch.operator.id, [...batch.numbers], { status: batch.status });
    for (const did of created) dids.push({ id: did.id, number: did.number, status: batch.status, operatorName: batch.operator.name });
  }
  dids.sort((a, b) => a.number.localeCompare(b.number));
  const row = (did: (typeof dids)[number]) => [String(did.id), statusLabel[did.status], did.operatorName, did.number, "", "", "", reseller.name, "", "History"];
  const matching = dids.filter((d) => d.operatorName === alpha.name && d.number.includes("55000") && (d.status === "reserved" || d.status === "blocked"));
  return { reseller, alpha, beta, allNumbers: dids.map((d) => d.number), expectedRows: matching.map(row) };
}

async function searchFormState(page: Page) {
  const form = page.getByRole("search", { name: "Search DIDs" });
  return {
    contains: await form.getByLabel("Number contains").inputValue(),
    reserved: await form.getByLabel("Reserved", { exact: true }).isChecked(),
    blocked: await form.getByLabel("Blocked", { exact: true }).isChecked(),
    inStock: await form.getByLabel("In stock", { exact: true }).isChecked(),
    operator: await form.getByLabel("Operator", { exact: true }).inputValue(),
  };
}

for (const mode of jsModes) {
  t.test(`search the inventory, then open the bookmarked result (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { reseller, alpha, allNumbers, expectedRows } = await seedInventory(server.db);
    t.equal(expectedRows.length, 10, "the seed holds 10 matching DIDs");
    const { page, pageErrors } = await openPage(t, browser, server, mode);

    await page.goto("/dids");
    t.equal(await textOf(page, "p.summary"), "78 DIDs · page 1 of 2", "the unfiltered inventory");
    t.same(await shownNumbers(page), allNumbers.slice(0, 50), "first page of all DIDs, by number");

    const documentLoads = countDocumentLoads(page);
    if (mode.javaScript) await markDocument(page);
    const form = page.getByRole("search", { name: "Search DIDs" });
    await form.getByLabel("Number contains").fill("55000");
    await form.getByLabel("Reserved", { exact: true }).check();
    await form.getByLabel("Blocked", { exact: true }).check();
    await form.getByLabel("Operator", { exact: true }).selectOption({ label: `${alpha.name} (${reseller.name})` });
    await form.getByRole("button", { name: "Search" }).click();

    await page.waitForURL((url) => url.searchParams.get("contains") === "55000");
    await expectEventually(t, () => tableCells(page), expectedRows, "exactly the matching DIDs, every cell");
    t.equal(await textOf(page, "p.summary"), "10 DIDs match · page 1 of 1", "the count summary");
    t.same(await searchFormState(page), { contains: "55000", reserved: true, blocked: true, inStock: false, operator: String(alpha.id) }, "the form shows the search");

    const url = new URL(page.url());
    t.equal(url.pathname, "/dids");
    t.same(url.searchParams.getAll("status"), ["reserved", "blocked"], "the address carries the statuses");
    t.equal(url.searchParams.get("operator"), String(alpha.id), "the address carries the operator");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "no full page load: htmx swapped the results");
      t.equal(documentLoads.count, 0, "no document request");
      t.equal(url.search, `?contains=55000&status=reserved&status=blocked&operator=${alpha.id}`, "htmx pushed the canonical URL, without empty fields");
    } else {
      t.equal(documentLoads.count, 1, "the plain form loaded one new page");
    }

    // A bookmark: the same address in a fresh context shows the same result.
    const bookmark = page.url();
    const other = await openPage(t, browser, server, mode);
    await other.page.goto(bookmark);
    t.same(await tableCells(other.page), expectedRows, "the bookmark shows the same rows");
    t.equal(await textOf(other.page, "p.summary"), "10 DIDs match · page 1 of 1");
    t.same(await searchFormState(other.page), { contains: "55000", reserved: true, blocked: true, inStock: false, operator: String(alpha.id) }, "and the same form");

    t.same(pageErrors, [], "no script errors");
    t.same(other.pageErrors, [], "no script errors on the bookmark");
  });

  t.test(`sort by a column, change page, then go back (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { allNumbers } = await seedInventory(server.db);
    const ascending = allNumbers;
    const descending = [...allNumbers].reverse();
    const { page, pageErrors } = await openPage(t, browser, server, mode);

    await page.goto("/dids");
    t.same(await shownNumbers(page), ascending.slice(0, 50), "by number, ascending");
    const documentLoads = countDocumentLoads(page);
    if (mode.javaScript) await markDocument(page);

    // The DID column is the sorted one: its link turns the order round.
    const didHeader = page.locator("table.list thead th").nth(didColumn("DID"));
    t.equal(await didHeader.getAttribute("aria-sort"), "ascending");
    await didHeader.getByRole("link").click();
    await page.waitForURL((url) => url.searchParams.get("dir") === "desc");
    await expectEventually(t, () => shownNumbers(page), descending.slice(0, 50), "sorted by number, descending");
    t.equal(await textOf(page, "p.summary"), "78 DIDs · page 1 of 2");
    t.equal(await page.locator("table.list thead th").nth(didColumn("DID")).getAttribute("aria-sort"), "descending", "the heading shows the order");
    t.equal(new URL(page.url()).search, "?sort=number&dir=desc", "the address carries the order");

    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Next ›" }).click();
    await page.waitForURL((url) => url.searchParams.get("page") === "2");
    await expectEventually(t, () => shownNumbers(page), descending.slice(50), "the second page, still descending");
    t.equal(await textOf(page, "p.summary"), "78 DIDs · page 2 of 2");
    t.equal(new URL(page.url()).search, "?sort=number&dir=desc&page=2", "the address carries the page");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "sorting and paging never reloaded the page");
      t.equal(documentLoads.count, 0, "no document request");
    }

    // Back loads the page afresh from its URL: htmx keeps no copies of pages
    // (historyCacheSize 0), so nothing of a signed-out session lingers in the browser.
    await page.goBack();
    await page.waitForURL((url) => url.search === "?sort=number&dir=desc");
    await expectEventually(t, () => shownNumbers(page), descending.slice(0, 50), "Back: the first page, descending, again");
    t.equal(await textOf(page, "p.summary"), "78 DIDs · page 1 of 2");

    await page.goBack();
    await page.waitForURL((url) => url.pathname === "/dids" && url.search === "");
    await expectEventually(t, () => shownNumbers(page), ascending.slice(0, 50), "Back again: ascending, as first loaded");

    t.same(pageErrors, [], "no script errors");
  });
}
