// Export in a real browser, with JavaScript on and off: on a filtered inventory, Export
// downloads the search as CSV and as Excel, and Export selected downloads the ticked rows.
// The page stays where it was (with htmx on, the download is the browser's, never a swap),
// and axe checks the page with its export controls.
import { readFile } from "node:fs/promises";
import t, { type Test } from "tap";
import ExcelJS from "exceljs";
import { parse } from "csv-parse/sync";
import type { Download, Page } from "playwright-core";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { documentMarked, expectNoAxeViolations, jsModes, launchBrowser, markDocument, numberRange, openPage, startServer, textOf, watchCspViolations } from "./browser.js";

const browser = await launchBrowser(t);

/** Clicks, and returns the download the click started. */
async function download(t: Test, page: Page, click: () => Promise<void>): Promise<Download> {
  const [file] = await Promise.all([page.waitForEvent("download"), click()]);
  t.equal(await file.failure(), null, "downloaded");
  return file;
}

async function csvNumbers(file: Download): Promise<string[]> {
  const rows = parse(await readFile((await file.path())!), { bom: true }) as string[][];
  const didColumn = rows[0]!.indexOf("DID");
  return rows.slice(1).map((row) => row[didColumn]!);
}

async function xlsxNumbers(file: Download): Promise<unknown[]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile((await file.path())!);
  const sheet = workbook.getWorksheet("DIDs")!;
  const didColumn = (sheet.getRow(1).values as unknown[]).indexOf("DID");
  return sheet.getColumn(didColumn).values.slice(2);
}

for (const mode of jsModes) {
  t.test(`export a filtered inventory and a selection (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    const reseller = await makeReseller(db, "Acme");
    const operator = await makeOperator(db, { name: "Kyivstar", resellerId: reseller.id });
    const numbers = numberRange("380441000000", 6);
    await makeDids(db, operator.id, numbers, { tag: "gold" });
    await makeDids(db, operator.id, numberRange("380442000000", 3), { tag: "other" });
    const { page, pageErrors } = await openPage(t, browser, server, mode);
    const csp = await watchCspViolations(page, mode);
    const htmxExports: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/dids/export" && request.headers()["hx-request"]) htmxExports.push(request.url());
    });

    await page.goto("/dids?tag=gold&sort=number&dir=desc");
    if (mode.javaScript) {
      await markDocument(page);
      await expectNoAxeViolations(t, page, "the inventory with its export controls");
    }
    const here = page.url();

    const csv = await download(t, page, () => page.getByRole("button", { name: "Export", exact: true }).click());
    t.match(csv.suggestedFilename(), /^dids-\d{4}-\d{2}-\d{2}-\d{4}\.csv$/);
    t.same(await csvNumbers(csv), [...numbers].reverse(), "the search's six DIDs, in its sort");

    await page.getByLabel("Export all 6 DIDs as").selectOption({ label: "Excel (.xlsx)" });
    const xlsx = await download(t, page, () => page.getByRole("button", { name: "Export", exact: true }).click());
    t.match(xlsx.suggestedFilename(), /^dids-\d{4}-\d{2}-\d{2}-\d{4}\.xlsx$/);
    t.same(await xlsxNumbers(xlsx), [...numbers].reverse(), "the same rows in Excel, numbers as text");

    for (const number of [numbers[1]!, numbers[4]!]) await page.getByRole("checkbox", { name: `Select DID ${number}` }).check();
    if (mode.javaScript) t.equal(await textOf(page, "#selection-count"), "2 DIDs selected.");
    const selected = await download(t, page, () => page.getByRole("button", { name: "Export selected (CSV)" }).click());
    t.same(await csvNumbers(selected), [numbers[4], numbers[1]], "only the ticked rows, in the search's sort");

    t.equal(page.url(), here, "the page stays where it was");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "no page load, no swap");
      t.equal(await textOf(page, "#selection-count"), "2 DIDs selected.", "the selection is kept: nothing changed");
      t.same(htmxExports, [], "htmx made none of these requests");
    }
    t.equal(await textOf(page, "p.summary"), "6 DIDs match · page 1 of 1");
    t.same(pageErrors, [], "no script errors");
    t.same(csp, [], "no CSP violations");
  });
}
