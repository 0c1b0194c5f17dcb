// The API tokens page in a real browser: create a token for a reseller with an allowed
// network (refused once for a bad address), see it shown once, go back to the list where
// only its prefix shows, then revoke it through the confirmation. With JavaScript on the
// form, the token and the confirmation open in the #dialog overlay (htmx); with it off
// they are pages of their own.
import { createHash } from "node:crypto";
import t from "tap";
import type { Page } from "playwright-core";
import { makeReseller } from "../helpers/factories.js";
import { documentMarked, expectNoAxeViolations, jsModes, launchBrowser, markDocument, openPage, rowCells, startServer, textOf, watchCspViolations } from "./browser.js";

const browser = await launchBrowser(t);

/** The tokens table's rows whose Name cell is `name`. */
const tokenRow = (page: Page, name: string) => page.locator("table.list tbody tr").filter({ has: page.locator("td:nth-child(1)", { hasText: new RegExp(`^${name}$`) }) });

for (const mode of jsModes) {
  t.test(`create an API token, see it once, then revoke it (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    await makeReseller(db, "Odesa Reseller");
    const kyiv = await makeReseller(db, "Kyiv Reseller");
    const { page, pageErrors } = await openPage(t, browser, server, mode);
    const csp = await watchCspViolations(page, mode);

    await page.goto("/dids");
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "API tokens" }).click();
    await page.waitForURL((url) => url.pathname === "/api-tokens");
    t.equal(await textOf(page, "h1"), "API tokens");
    t.match(await textOf(page, ".empty"), /No API tokens yet/);
    if (mode.javaScript) {
      await expectNoAxeViolations(t, page, "the API tokens list");
      await markDocument(page);
    }

    await page.getByRole("link", { name: "New API token" }).click();
    if (mode.javaScript) {
      await page.locator("#dialog").getByRole("dialog", { name: "New API token" }).waitFor();
      t.equal(new URL(page.url()).pathname, "/api-tokens", "the form opens in the dialog over the list");
      t.ok(await documentMarked(page), "opening the dialog loaded no new page");
      await expectNoAxeViolations(t, page, "the new-token dialog");
    } else {
      await page.waitForURL((url) => url.pathname === "/api-tokens/new");
      t.equal(await textOf(page, "h1"), "New API token");
    }
    const form = page.locator('form[action="/api-tokens/new"]');
    await form.getByLabel("Name").fill("Softswitch Kyiv");
    await form.getByLabel("Reseller").selectOption({ label: kyiv.name });
    await form.getByLabel("Rate limit (lookups per second)").fill("200");
    await form.getByLabel("Allowed addresses").fill("10.20.0.0/16\nnot-an-address");
    await form.getByRole("button", { name: "Create token" }).click();

    // Refused at the field, with what was typed kept.
    const error = page.locator("#allowed_networks-error");
    await error.waitFor();
    t.match(await error.textContent(), /“not-an-address” is not an IPv4 or IPv6 address or CIDR block/, "the bad entry is quoted at its field");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "the refusal came back into the dialog");
      await expectNoAxeViolations(t, page, "the new-token dialog with a field error");
    }
    t.equal(await form.getByLabel("Name").inputValue(), "Softswitch Kyiv", "the name is kept");
    t.equal(await db.apiToken.count(), 0, "nothing written");
    await form.getByLabel("Allowed addresses").fill("10.20.0.0/16\n192.0.2.7");
    await form.getByRole("button", { name: "Create token" }).click();

    const field = page.getByLabel("API token “Softswitch Kyiv”");
    await field.waitFor();
    const token = await field.inputValue();
    t.match(token, /^didtok_[A-Za-z0-9_-]{43}$/, "the new token, shown");
    t.equal(await field.getAttribute("readonly"), "", "in a read-only field");
    t.match(await textOf(page, mode.javaScript ? "#dialog" : "main"), /will not be shown again/);
    if (mode.javaScript) {
      t.equal(new URL(page.url()).pathname, "/api-tokens", "shown in the dialog: the address has no token");
      t.ok(await documentMarked(page), "no new page");
      t.equal(await tokenRow(page, "Softswitch Kyiv").count(), 1, "the list behind the dialog has it already");
    } else {
      t.equal(new URL(page.url()).pathname, "/api-tokens/new", "the POST's answer: the address has no token");
    }
    t.notMatch(page.url(), token);
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the shown-once token");
    const stored = await db.apiToken.findFirstOrThrow({ where: { name: "Softswitch Kyiv" } });
    t.equal(stored.tokenHash, createHash("sha256").update(token).digest("hex"), "its SHA-256 is what is kept");
    t.match(stored, { resellerId: kyiv.id, rateLimit: 200, allowedNetworks: ["10.20.0.0/16", "192.0.2.7/32"] });
    t.notMatch(JSON.stringify(await page.context().cookies()), token, "no cookie holds it");

    await page.getByRole("link", { name: "Back to API tokens" }).click();
    await page.waitForURL((url) => url.pathname === "/api-tokens");
    await page.locator("table.list").waitFor();
    const [cells] = await rowCells(tokenRow(page, "Softswitch Kyiv"));
    t.same(cells!.slice(0, 5), ["Softswitch Kyiv", `${stored.tokenPrefix}…`, "Kyiv Reseller", "200/s", "10.20.0.0/16, 192.0.2.7/32"], "listed with its prefix only");
    t.match(cells![5], /UTC by admin$/);
    t.same(cells!.slice(6), ["Never", "Active", "Revoke Softswitch Kyiv"]);
    t.notMatch(await page.content(), token, "the token is not on the list page");

    if (mode.javaScript) await markDocument(page);
    await tokenRow(page, "Softswitch Kyiv").getByRole("link", { name: "Revoke" }).click();
    if (mode.javaScript) {
      await page.locator("#dialog").getByRole("dialog", { name: "Revoke API token Softswitch Kyiv" }).waitFor();
      t.equal(new URL(page.url()).pathname, "/api-tokens", "the confirmation opens in the dialog");
      t.ok(await documentMarked(page));
    } else {
      await page.waitForURL((url) => url.pathname === `/api-tokens/${stored.id}/revoke`);
      t.equal(await textOf(page, "h1"), "Revoke API token Softswitch Kyiv");
    }
    t.match(await textOf(page, 'p:has-text("Programs using it")'), /^Revoke API token Softswitch Kyiv \(didtok_.{6}…, Kyiv Reseller\)\?/, "the confirmation names the token");
    await page.getByRole("button", { name: "Revoke token" }).click();

    await page.locator("p.flash", { hasText: "Revoked API token" }).waitFor();
    t.equal(await textOf(page, "p.flash"), "Revoked API token “Softswitch Kyiv”.");
    t.equal(new URL(page.url()).pathname, "/api-tokens");
    const [after] = await rowCells(tokenRow(page, "Softswitch Kyiv"));
    t.match(after![7], /^Revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC by admin$/, "listed as revoked");
    t.equal(after![8], "", "with nothing left to do");
    t.ok((await db.apiToken.findUniqueOrThrow({ where: { id: stored.id } })).revokedAt, "revoked in the database");
    t.same(csp, [], "no Content-Security-Policy violations");
    t.same(pageErrors, [], "no script errors");
  });
}
