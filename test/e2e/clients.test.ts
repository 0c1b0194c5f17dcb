// The Clients tab in a real browser: create a client with its first account, add a second
// account (and be refused a duplicate), then find the client's DIDs through the
// inventory's client field. With JavaScript on, the forms open in the #dialog overlay and
// the field suggests names as it is typed (htmx); with it off, every step is a page.
import t from "tap";
import { makeClientAccount, makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { didColumn, documentMarked, expectEventually, expectNoAxeViolations, jsModes, launchBrowser, markDocument, numberRange, openPage, shownNumbers, startServer, tableCells, textOf } from "./browser.js";

const browser = await launchBrowser(t);

for (const mode of jsModes) {
  t.test(`create a client with an account, then find its DIDs (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    await makeReseller(db, "Odesa Reseller");
    const kharkiv = await makeReseller(db, "Kharkiv Reseller");
    const operator = await makeOperator(db, { name: "Kharkiv Lines", resellerId: kharkiv.id });
    await makeClientAccount(db, kharkiv.id, { client: "Existing Client", account: "Main" });
    const { page, pageErrors } = await openPage(t, browser, server, mode);

    await page.goto("/clients");
    t.equal(await textOf(page, "p.summary"), "1 client");
    if (mode.javaScript) {
      await expectNoAxeViolations(t, page, "the clients list");
      await markDocument(page);
    }
    await page.getByRole("link", { name: "New client" }).click();
    if (mode.javaScript) {
      await page.locator("#dialog").getByRole("dialog", { name: "New client" }).waitFor();
      t.equal(new URL(page.url()).pathname, "/clients", "the form opens in the dialog over the list");
      t.ok(await documentMarked(page), "opening the dialog loaded no new page");
      await expectNoAxeViolations(t, page, "the new-client dialog");
    } else {
      await page.waitForURL((url) => url.pathname === "/clients/new");
      t.equal(await textOf(page, "h1"), "New client");
    }
    const form = page.locator('form[action="/clients/new"]');
    t.equal(await form.getByLabel("First account").inputValue(), "Main", "the first account is called Main unless renamed");
    await form.getByLabel("Name").fill("Omega Hotel");
    await form.getByLabel("Reseller").selectOption({ label: kharkiv.name });
    await form.getByLabel("Notes").fill("Night desk\nsecond line");
    await form.getByLabel("First account").fill("Reception");
    await form.getByRole("button", { name: "OK" }).click();

    await page.locator("p.flash", { hasText: "Created client" }).waitFor();
    t.equal(await textOf(page, "p.flash"), "Created client “Omega Hotel” with the account “Reception”.");
    const client = await db.client.findFirstOrThrow({ where: { name: "Omega Hotel" }, include: { accounts: true } });
    // A form posted by the browser sends a textarea's line breaks as CRLF, htmx as LF; notes
    // are kept as sent, like a DID's.
    const notes = client.notes?.replace(/\r\n/g, "\n");
    t.same([client.resellerId, notes, client.accounts.map((a) => a.name)], [kharkiv.id, "Night desk\nsecond line", ["Reception"]], "stored as entered");
    t.equal(new URL(page.url()).pathname, `/clients/${client.id}`, "on the new client's page");
    t.equal(await textOf(page, "h1"), "Client Omega Hotel");
    t.same(await page.locator("nav.tabs a").allTextContents(), ["Client", "Subscriptions", "DIDs"], "the client's tabs");
    t.equal(await page.locator('nav.tabs a[aria-current="page"]').textContent(), "Client");
    t.same(await tableCells(page), [["Reception", "0", "Rename · Delete"]], "its first account");
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the client page");

    // A second account, from the form on the page.
    const addForm = page.locator("form.add-account");
    await addForm.getByLabel("New account").fill("Billing");
    await addForm.getByRole("button", { name: "Add account" }).click();
    await page.locator("p.flash", { hasText: "Added the account" }).waitFor();
    t.equal(await textOf(page, "p.flash"), "Added the account “Billing”.");
    t.same(await tableCells(page), [["Billing", "0", "Rename · Delete"], ["Reception", "0", "Rename · Delete"]], "both accounts, by name");

    // The same name in another case is refused at the field, the input kept.
    if (mode.javaScript) await markDocument(page);
    await page.locator("form.add-account").getByLabel("New account").fill("BILLING");
    await page.locator("form.add-account").getByRole("button", { name: "Add account" }).click();
    const error = page.locator("#name-error");
    await error.waitFor();
    t.equal(await error.textContent(), "This client already has an account named “BILLING”.");
    t.equal(await page.locator("form.add-account").getByLabel("New account").inputValue(), "BILLING");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "only the accounts section was swapped");
      await expectNoAxeViolations(t, page, "the client page with a field error");
    }
    t.equal(await db.clientAccount.count({ where: { clientId: client.id } }), 2, "nothing was added");

    // Its DIDs, found by part of its name in the inventory.
    const reception = client.accounts[0]!;
    const numbers = numberRange("380577000001", 3);
    await makeDids(db, operator.id, numbers, { status: "active", clientAccountId: reception.id });
    await makeDids(db, operator.id, numberRange("380577000100", 2));
    await page.goto("/dids");
    const search = page.getByRole("search", { name: "Search DIDs" });
    const field = search.getByLabel("Client", { exact: true });
    if (mode.javaScript) {
      await field.pressSequentially("ome", { delay: 30 });
      await expectEventually(t, () => page.locator("#client-suggestions option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)), ["Omega Hotel"], "the field suggests the names that contain the text");
      await field.fill("omega");
    } else {
      await field.fill("omega");
    }
    await search.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((url) => url.searchParams.get("client_name") === "omega");
    await expectEventually(t, () => shownNumbers(page), numbers, "the DIDs of the clients whose names contain it");

    // The client page links to its DIDs by id; the field shows its name, and a new search keeps it.
    await page.goto(`/clients/${client.id}`);
    await page.getByRole("link", { name: "3 DIDs" }).click();
    await page.waitForURL((url) => url.pathname === "/dids" && url.searchParams.get("client") === String(client.id));
    t.equal(await page.getByRole("search", { name: "Search DIDs" }).getByLabel("Client", { exact: true }).inputValue(), "Omega Hotel");
    t.same(await shownNumbers(page), numbers);
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the inventory filtered by a client");
    await page.getByRole("search", { name: "Search DIDs" }).getByLabel("Active", { exact: true }).check();
    await page.getByRole("search", { name: "Search DIDs" }).getByRole("button", { name: "Search" }).click();
    await page.waitForURL((url) => url.searchParams.get("status") === "active");
    t.equal(new URL(page.url()).searchParams.get("client"), String(client.id), "the client is still meant by its id");
    await expectEventually(t, () => shownNumbers(page), numbers, "and its DIDs are shown");

    t.equal((await tableCells(page))[0]?.[didColumn("Client")], "Omega Hotel / Reception", "with their client and account");
    t.same(pageErrors, [], "no script errors");
  });
}
