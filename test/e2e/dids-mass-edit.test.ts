// Mass edit in a real browser: select three rows, set their tag, see the confirmation,
// apply, then open one DID's history and see the change. With JavaScript on the steps are
// dialogs and only the search area refreshes; with it off each step is a page. With
// JavaScript on, the selection also survives paging, and axe checks every new view.
import t from "tap";
import type { Page } from "playwright-core";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import {
  didColumn,
  documentMarked,
  eventually,
  expectNoAxeViolations,
  jsModes,
  launchBrowser,
  markDocument,
  numberRange,
  openPage,
  startServer,
  tableCells,
  textOf,
  watchCspViolations,
} from "./browser.js";

const browser = await launchBrowser(t);

const rowBox = (page: Page, number: string) => page.getByRole("checkbox", { name: `Select DID ${number}` });

for (const mode of jsModes) {
  t.test(`mass edit three DIDs' tag, then see it in one DID's history (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    const reseller = await makeReseller(db, "Acme");
    const operator = await makeOperator(db, { name: "Kyivstar", resellerId: reseller.id });
    const numbers = numberRange("380441000000", 6);
    await makeDids(db, operator.id, numbers, { tag: "old" });
    const { page, pageErrors } = await openPage(t, browser, server, mode);
    const csp = await watchCspViolations(page, mode);

    await page.goto("/dids?tag=old");
    if (mode.javaScript) {
      await markDocument(page);
      await expectNoAxeViolations(t, page, "the inventory with its selection boxes");
    }
    const chosen = numbers.slice(1, 4);
    for (const number of chosen) await rowBox(page, number).check();
    if (mode.javaScript) t.equal(await textOf(page, "#selection-count"), "3 DIDs selected.", "the bar says how many are selected");
    else t.match(await textOf(page, ".bulk-bar"), /ticks are kept on this page only/, "without JavaScript the page says the selection stays on the page");

    await page.getByRole("button", { name: "Mass edit…" }).click();
    const scope = mode.javaScript ? page.locator("#dialog").getByRole("dialog", { name: "Mass edit DIDs" }) : page.locator("main");
    await scope.getByText("3 DIDs are selected.").waitFor();
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "the form opened in place");
      await expectNoAxeViolations(t, page, "the mass-edit dialog");
    } else {
      t.equal(new URL(page.url()).pathname, "/dids/mass-edit");
    }
    await scope.getByLabel("Change the tag").check();
    await scope.getByLabel("New tag").fill("gold");
    await scope.getByRole("button", { name: "Review the changes" }).click();

    const confirm = mode.javaScript ? page.locator("#dialog").getByRole("dialog", { name: "Confirm the mass edit" }) : page.locator("main");
    await confirm.locator(".preview-summary").waitFor();
    t.equal(await textOf(confirm, ".preview-summary"), "3 DIDs will change.");
    t.match(await textOf(confirm, ".preview-summary + p"), /tag → “gold”/);
    t.equal(await db.did.count({ where: { tag: "gold" } }), 0, "nothing written before Update");
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the confirmation");
    await confirm.getByRole("button", { name: "Update 3 DIDs" }).click();

    await page.locator("p.flash").waitFor();
    t.equal(await textOf(page, "p.flash"), "Changed 3 DIDs.");
    t.equal(new URL(page.url()).search, "?tag=old", "the inventory shows the same search as before");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "only the search area refreshed");
      t.equal(await page.locator("#dialog .modal").count(), 0, "the dialog closed");
      t.equal(await textOf(page, "#selection-count"), "Tick rows to select them.", "the applied selection is cleared");
    }
    const rows = await tableCells(page);
    t.same(rows.map((cells) => cells[didColumn("DID")]), numbers.filter((n) => !chosen.includes(n)), "the three left the search (their tag changed)");
    t.same(
      (await db.did.findMany({ where: { tag: "gold" }, orderBy: { number: "asc" } })).map((d) => d.number),
      chosen,
    );

    await page.goto("/dids?tag=gold");
    await page.locator("table.list tbody tr").first().getByRole("link", { name: "History" }).click();
    await page.waitForURL((url) => url.pathname === "/audit");
    const did = await db.did.findUniqueOrThrow({ where: { number: chosen[0]! } });
    t.equal(new URL(page.url()).search, `?type=did&object=${did.id}`);
    const history = (await page.locator("main").textContent()) ?? "";
    t.match(history, /old/, "the old tag");
    t.match(history, /gold/, "the new tag");
    t.match(history, /admin/, "who");
    if (mode.javaScript) await expectNoAxeViolations(t, page, "a DID's history");
    t.same(pageErrors, [], "no script errors");
    t.same(csp, [], "no CSP violations");
  });
}

t.test("with JavaScript the selection survives paging", async (t) => {
  const server = await startServer(t);
  const operator = await makeOperator(server.db);
  const numbers = numberRange("380442000000", 30);
  await makeDids(server.db, operator.id, numbers);
  const { page, pageErrors } = await openPage(t, browser, server, { javaScript: true });
  await page.goto("/dids?per=25");
  await rowBox(page, numbers[0]!).check();
  await rowBox(page, numbers[1]!).check();
  await page.getByRole("link", { name: "Next ›" }).click();
  await rowBox(page, numbers[26]!).waitFor();
  await rowBox(page, numbers[26]!).check();
  t.equal(await textOf(page, "#selection-count"), "3 DIDs selected (2 on other pages).", "counts the ticks of other pages");
  await page.getByRole("link", { name: "‹ Previous" }).click();
  await rowBox(page, numbers[0]!).waitFor();
  // The script ticks the rows when htmx settles the swap, a moment after the rows appear.
  t.ok(await eventually(() => rowBox(page, numbers[0]!).isChecked(), (checked) => checked), "ticks are still there after paging back");
  await page.getByRole("button", { name: "Mass edit…" }).click();
  await page.locator("#dialog").getByText("3 DIDs are selected.").waitFor();
  t.pass("all three are posted");
  t.same(pageErrors, []);
});
