// The Operators tab in a real browser: create an operator, delete it, and the refusal to
// delete one that still owns DIDs. With JavaScript on the forms open in the #dialog
// overlay (htmx); with it off they are pages of their own.
import t from "tap";
import type { Page } from "playwright-core";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { documentMarked, jsModes, launchBrowser, markDocument, numberRange, openPage, rowCells, shownNumbers, startServer, tableCells, textOf } from "./browser.js";

const browser = await launchBrowser(t);

/** The operators table's rows whose Name cell is `name`. */
const operatorRow = (page: Page, name: string) =>
  page.locator("table.list tbody tr").filter({ has: page.locator("td:nth-child(2)", { hasText: new RegExp(`^${name}$`) }) });

const operatorNames = async (page: Page) => (await tableCells(page)).map((cells) => cells[1] ?? "");

for (const mode of jsModes) {
  t.test(`create an operator, then delete it (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    const odesa = await makeReseller(db, "Odesa Reseller");
    const kharkiv = await makeReseller(db, "Kharkiv Reseller");
    const busy = await makeOperator(db, { name: "Busy Operator", resellerId: odesa.id });
    await makeDids(db, busy.id, numberRange("380442220000", 3));
    const { page, pageErrors } = await openPage(t, browser, server, mode);

    await page.goto("/operators");
    t.equal(await textOf(page, "p.summary"), "1 operator");
    if (mode.javaScript) await markDocument(page);
    await page.getByRole("link", { name: "New operator" }).click();
    if (mode.javaScript) {
      await page.locator("#dialog").getByRole("dialog", { name: "New operator" }).waitFor();
      t.equal(new URL(page.url()).pathname, "/operators", "the form opens in the dialog over the list");
      t.ok(await documentMarked(page), "opening the dialog loaded no new page");
    } else {
      await page.waitForURL((url) => url.pathname === "/operators/new");
      t.equal(await textOf(page, "h1"), "New operator");
    }
    const form = page.locator('form[action="/operators/new"]');
    await form.getByLabel("Name").fill("Omega Telecom");
    await form.getByLabel("Reseller").selectOption({ label: kharkiv.name });
    await form.getByRole("button", { name: "OK" }).click();

    await page.locator("p.flash", { hasText: "Created operator" }).waitFor();
    t.equal(await textOf(page, "p.flash"), "Created operator “Omega Telecom”.", "the success message");
    t.equal(new URL(page.url()).pathname, "/operators", "back on the list");
    const created = await db.operator.findFirst({ where: { name: "Omega Telecom" } });
    t.equal(created?.resellerId, kharkiv.id, "stored for the chosen reseller");
    t.same(await rowCells(operatorRow(page, "Omega Telecom")), [[String(created?.id), "Omega Telecom", "0", kharkiv.name, "Filter DIDs · Delete"]], "the new operator is listed");
    t.equal(await textOf(page, "p.summary"), "2 operators");

    if (mode.javaScript) await markDocument(page);
    await operatorRow(page, "Omega Telecom").getByRole("link", { name: "Delete" }).click();
    if (mode.javaScript) {
      await page.locator("#dialog").getByRole("dialog", { name: "Delete operator Omega Telecom" }).waitFor();
      t.equal(new URL(page.url()).pathname, "/operators", "the confirmation opens in the dialog");
      t.ok(await documentMarked(page), "opening the dialog loaded no new page");
    } else {
      await page.waitForURL((url) => url.pathname === `/operators/${created?.id}/delete`);
      t.equal(await textOf(page, "h1"), "Delete operator Omega Telecom");
    }
    t.equal(
      await textOf(page, 'p:has-text("It owns no DIDs")'),
      "Delete operator Omega Telecom of reseller Kharkiv Reseller? It owns no DIDs. This cannot be undone.",
      "the confirmation names the operator and its reseller",
    );
    await page.getByRole("button", { name: "Delete operator" }).click();

    await page.locator("p.flash", { hasText: "Deleted operator" }).waitFor();
    t.equal(await textOf(page, "p.flash"), "Deleted operator “Omega Telecom”.", "the success message");
    t.equal(new URL(page.url()).pathname, "/operators");
    t.same(await operatorNames(page), ["Busy Operator"], "it is gone from the list");
    t.equal(await textOf(page, "p.summary"), "1 operator");
    t.equal(await db.operator.count({ where: { name: "Omega Telecom" } }), 0, "and from the database");
    t.same(pageErrors, [], "no script errors");
  });

  t.test(`an operator that owns DIDs cannot be deleted (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    const reseller = await makeReseller(db, "Odesa Reseller");
    const busy = await makeOperator(db, { name: "Busy Operator", resellerId: reseller.id });
    const other = await makeOperator(db, { name: "Other Operator", resellerId: reseller.id });
    const busyNumbers = numberRange("380442220000", 3);
    await makeDids(db, busy.id, busyNumbers);
    await makeDids(db, other.id, numberRange("380443330000", 2));
    const { page, pageErrors } = await openPage(t, browser, server, mode);

    await page.goto("/operators");
    t.same(await rowCells(operatorRow(page, "Busy Operator")), [[String(busy.id), "Busy Operator", "3", reseller.name, "Filter DIDs · Delete"]], "the list shows its DID count");
    await operatorRow(page, "Busy Operator").getByRole("link", { name: "Delete" }).click();
    const refusal = page.getByRole("alert").filter({ hasText: "cannot be deleted" });
    await refusal.waitFor();
    if (mode.javaScript) {
      const dialog = page.locator("#dialog").getByRole("dialog", { name: "Delete operator Busy Operator" });
      t.ok(await dialog.isVisible(), "the refusal is in the dialog");
      t.equal(new URL(page.url()).pathname, "/operators");
      // The dialog closes, and opens again (both need #dialog to survive the first opening).
      await dialog.getByRole("link", { name: "Close" }).click();
      await dialog.waitFor({ state: "detached" });
      t.equal(await page.locator("#dialog").innerHTML(), "", "Close empties the dialog");
      await operatorRow(page, "Busy Operator").getByRole("link", { name: "Delete" }).click();
      await refusal.waitFor();
      t.ok(await dialog.isVisible(), "the dialog opens again");
    } else {
      t.equal(new URL(page.url()).pathname, `/operators/${busy.id}/delete`);
    }
    t.equal(
      ((await refusal.textContent()) ?? "").replace(/\s+/g, " ").trim(),
      "Operator “Busy Operator” still owns 3 DIDs, so it cannot be deleted. Move them to another operator or delete them first: see its 3 DIDs.",
      "the refusal gives the DID count",
    );
    t.equal(await page.getByRole("button", { name: "Delete operator" }).count(), 0, "no delete button is offered");
    const link = refusal.getByRole("link", { name: "see its 3 DIDs" });
    t.equal(await link.getAttribute("href"), `/dids?operator=${busy.id}`, "the link filters the inventory by the operator");

    await link.click();
    await page.waitForURL((url) => url.pathname === "/dids" && url.searchParams.get("operator") === String(busy.id));
    t.equal(await textOf(page, "p.summary"), "3 DIDs match · page 1 of 1", "the inventory shows its DIDs");
    t.same(await shownNumbers(page), busyNumbers, "exactly its DIDs");
    t.ok(await db.operator.findUnique({ where: { id: busy.id } }), "the operator still exists");
    t.same(pageErrors, [], "no script errors");
  });
}
