// The Packages tab in a real browser: create a package, first with a DID limit the form
// refuses, then corrected; then find it with the search. With JavaScript on the form opens
// in the #dialog overlay (htmx) and the search swaps the table; with it off they are pages
// and plain form submissions. axe-core checks the list, the dialog and the refused form.
import t from "tap";
import type { Page } from "playwright-core";
import { makeReseller } from "../helpers/factories.js";
import { documentMarked, expectNoAxeViolations, jsModes, launchBrowser, markDocument, openPage, rowCells, startServer, tableCells, textOf, watchCspViolations } from "./browser.js";

const browser = await launchBrowser(t);

/** The packages table's rows whose Name cell is `name`. */
const packageRow = (page: Page, name: string) =>
  page.locator("table.list tbody tr").filter({ has: page.locator("td:nth-child(2)", { hasText: new RegExp(`^${name}$`) }) });

for (const mode of jsModes) {
  t.test(`create a package, then find it (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    await makeReseller(db, "Odesa Reseller");
    const kharkiv = await makeReseller(db, "Kharkiv Reseller");
    await db.package.create({ data: { name: "Starter", resellerId: kharkiv.id, didLimit: 1 } });
    const { page, pageErrors } = await openPage(t, browser, server, mode);
    const csp = await watchCspViolations(page, mode);

    await page.goto("/packages");
    t.equal(await textOf(page, "p.summary"), "1 package");
    t.equal(await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Packages" }).getAttribute("aria-current"), "page", "the tab is current");
    if (mode.javaScript) {
      await expectNoAxeViolations(t, page, "the packages list");
      await markDocument(page);
    }
    await page.getByRole("link", { name: "New package" }).click();
    const dialog = page.locator("#dialog").getByRole("dialog", { name: "New package" });
    if (mode.javaScript) {
      await dialog.waitFor();
      t.equal(new URL(page.url()).pathname, "/packages", "the form opens in the dialog over the list");
      t.ok(await documentMarked(page), "opening the dialog loaded no new page");
      await expectNoAxeViolations(t, page, "the new-package dialog");
    } else {
      await page.waitForURL((url) => url.pathname === "/packages/new");
      t.equal(await textOf(page, "h1"), "New package");
    }

    const form = page.locator('form[action="/packages/new"]');
    await form.getByLabel("Name").fill("Gold 100");
    await form.getByLabel("Reseller").selectOption({ label: kharkiv.name });
    await form.getByLabel("DID limit").fill("ten");
    await form.getByLabel("Allowed tags").fill("vip, gold vip");
    await form.getByLabel("Default hold days").fill("30");
    await form.getByRole("button", { name: "Create package" }).click();

    const message = page.locator("#did_limit-error");
    await message.waitFor();
    t.equal(await textOf(page, "#did_limit-error"), 'DID limit must be a whole number, not "ten".', "the message is next to the field");
    if (mode.javaScript) {
      t.ok(await dialog.isVisible(), "the refused form stays in the dialog");
      t.ok(await documentMarked(page), "no page load");
      await expectNoAxeViolations(t, page, "the refused form in the dialog");
    } else {
      t.equal(new URL(page.url()).pathname, "/packages/new");
    }
    t.equal(await form.getByLabel("DID limit").getAttribute("aria-invalid"), "true", "the field is marked invalid");
    t.equal(await form.getByLabel("Name").inputValue(), "Gold 100", "what was typed is kept");
    t.equal(await form.getByLabel("Allowed tags").inputValue(), "vip, gold vip");
    t.equal(await db.package.count({ where: { name: "Gold 100" } }), 0, "nothing was written");

    await form.getByLabel("DID limit").fill("100");
    await form.getByRole("button", { name: "Create package" }).click();
    await page.locator("p.flash", { hasText: "Created package" }).waitFor();
    t.equal(await textOf(page, "p.flash"), "Created package “Gold 100”.", "the success message");
    t.equal(new URL(page.url()).pathname, "/packages", "back on the list");
    const created = await db.package.findFirst({ where: { name: "Gold 100" } });
    t.match(created, { resellerId: kharkiv.id, didLimit: 100, allowedTags: ["vip", "gold"], defaultHoldDays: 30 }, "stored as chosen, duplicate tag removed");
    t.same(await rowCells(packageRow(page, "Gold 100")), [[String(created?.id), "Gold 100", kharkiv.name, "100", "vip, gold", "30", "0", "Edit · Delete"]], "the new package is listed");
    t.equal(await textOf(page, "p.summary"), "2 packages");

    if (mode.javaScript) await markDocument(page);
    await page.getByRole("search", { name: "Search packages" }).getByLabel("Name").fill("gold");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((url) => url.pathname === "/packages" && url.searchParams.get("q") === "gold");
    await page.locator("p.summary", { hasText: "1 package" }).waitFor();
    t.same((await tableCells(page)).map((cells) => cells[1]), ["Gold 100"], "the search finds it");
    if (mode.javaScript) t.ok(await documentMarked(page), "the table was swapped, the URL pushed, no page load");
    t.same(csp, [], "no Content-Security-Policy violation");
    t.same(pageErrors, [], "no script errors");
  });
}
