// Creating a range of DIDs from the inventory's "New DIDs" button, in a real browser:
// with JavaScript on the form opens in the #dialog overlay (htmx), with it off it is the
// /dids/new page. A bad range is refused at the field and creates nothing.
import t from "tap";
import type { Page } from "playwright-core";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import {
  documentMarked,
  expectEventually,
  jsModes,
  launchBrowser,
  markDocument,
  numberRange,
  openPage,
  shownNumbers,
  startServer,
  textOf,
} from "./browser.js";

const browser = await launchBrowser(t);

/** The create form, wherever it is shown (dialog or page). */
const createForm = (page: Page) => page.locator('form[action="/dids/new"]');

for (const mode of jsModes) {
  t.test(`create a range of 100 DIDs, after a refused bad range (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    const reseller = await makeReseller(db, "Lviv Reseller");
    const operator = await makeOperator(db, { name: "Gamma Net", resellerId: reseller.id });
    await makeOperator(db, { name: "Delta Tel", resellerId: reseller.id });
    // Other DIDs already in stock, which the new batch's listing must leave out.
    await makeDids(db, operator.id, numberRange("380441110000", 7));
    const { page, pageErrors } = await openPage(t, browser, server, mode);

    await page.goto("/dids");
    t.equal(await textOf(page, "p.summary"), "7 DIDs · page 1 of 1");
    if (mode.javaScript) await markDocument(page);
    await page.getByRole("link", { name: "New DIDs" }).click();
    const form = createForm(page);
    if (mode.javaScript) {
      const dialog = page.locator("#dialog").getByRole("dialog", { name: "New DIDs" });
      await dialog.waitFor();
      t.ok(await dialog.locator('form[action="/dids/new"]').isVisible(), "the form opens in the dialog overlay");
      t.equal(new URL(page.url()).pathname, "/dids", "the inventory stays behind the dialog");
      t.ok(await documentMarked(page), "opening the dialog loaded no new page");
    } else {
      await page.waitForURL((url) => url.pathname === "/dids/new");
      t.equal(await textOf(page, "h1"), "New DIDs", "the form is a page of its own");
    }

    // A range written backwards: refused next to the field, nothing created.
    await form.getByLabel("DID(s)").fill("555-111");
    await form.getByLabel("Operator", { exact: true }).selectOption({ label: `${operator.name} (${reseller.name})` });
    await form.getByRole("button", { name: "Create DIDs" }).click();
    const numbersField = form.locator(".field").filter({ has: page.locator("textarea#c-numbers") });
    await numbersField.locator("p.field-error").waitFor();
    t.equal(await textOf(numbersField, "p.field-error"), "“555-111”: put the lower end first (111-555).", "the message, in the DID(s) field, names the input and the fix");
    t.equal(await page.locator("p.field-error").count(), 1, "no other field is in error");
    t.equal(await form.getByLabel("DID(s)").getAttribute("aria-invalid"), "true", "the field is marked invalid");
    t.equal(await form.getByLabel("DID(s)").inputValue(), "555-111", "what was typed is kept");
    t.equal(await db.did.count(), 7, "nothing was created");
    if (mode.javaScript) {
      t.ok(await page.locator("#dialog").getByRole("dialog", { name: "New DIDs" }).isVisible(), "the error is shown in the dialog");
      t.ok(await documentMarked(page), "still no new page");
      t.equal(new URL(page.url()).pathname, "/dids");
    } else {
      t.equal(new URL(page.url()).pathname, "/dids/new");
    }

    // The real range.
    const expected = numberRange("380449990000", 100);
    t.equal(await form.getByLabel("Operator", { exact: true }).inputValue(), String(operator.id), "the operator choice was kept");
    await form.getByLabel("DID(s)").fill("380449990000-380449990099");
    await form.getByRole("button", { name: "Create DIDs" }).click();
    await page.waitForURL((url) => url.pathname === "/dids" && url.searchParams.has("batch"));
    const flash = page.locator("p.flash");
    await flash.waitFor();
    t.equal(await textOf(page, "p.flash"), "Created 100 DIDs.", "the success message");
    t.match(await textOf(page, "p.notice"), /^Showing the DIDs created together at .* \(100 were created\)/, "the listing is the new batch");
    t.equal(await textOf(page, "p.summary"), "100 DIDs match · page 1 of 2", "100 DIDs");
    const numbers = await shownNumbers(page);
    t.equal(numbers[0], "380449990000", "the first row is the range's start");
    t.same(numbers, expected.slice(0, 50), "the first page is the range's first 50");

    // All of them on one page: exactly the 100 new numbers.
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "100", exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get("per") === "100");
    await expectEventually(t, () => shownNumbers(page), expected, "exactly the 100 new numbers");
    t.equal(await textOf(page, "p.summary"), "100 DIDs match · page 1 of 1");

    const created = await db.did.findMany({ where: { number: { in: expected } }, select: { operatorId: true, status: true } });
    t.equal(created.length, 100, "the database holds the 100 numbers");
    t.ok(created.every((d) => d.operatorId === operator.id && d.status === "in_stock"), "for the chosen operator, in stock");
    t.equal(await db.did.count(), 107, "and nothing else was created");
    t.same(pageErrors, [], "no script errors");
  });
}
