// The reference manual's flow in a real browser, with JavaScript on and off: create a
// package, a client with an account, subscribe it, pick DIDs (searching as you type with
// JavaScript), see them active in the inventory under client / account and in the export
// with the package, deactivate the subscription, see them on hold, move the clock past
// the hold, let the scheduler run, and see them take their after-hold status.
import t from "tap";
import { holdScheduler } from "../../src/modules/assignments/hold-scheduler.jobs.js";
import { ManualClock } from "../../src/shared/clock.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { documentMarked, expectNoAxeViolations, jsModes, launchBrowser, markDocument, openPage, startServer, tableCells, textOf, watchCspViolations } from "./browser.js";

const browser = await launchBrowser(t);
const quiet = { info() {}, warn() {}, error() {}, child: () => quiet };

for (const mode of jsModes) {
  t.test(`package, client, subscription, DIDs, hold (${mode.name})`, async (t) => {
    const clock = new ManualClock(new Date("2026-11-27T09:00:00Z"));
    const server = await startServer(t, {}, { clock });
    const { db } = server;
    const reseller = await makeReseller(db, "Kyiv Telecom");
    const op = await makeOperator(db, { name: "Kyivstar", resellerId: reseller.id });
    await makeDids(db, op.id, ["380441000001", "380441000002", "380441000003"], { tag: "gold" });
    await makeDids(db, op.id, ["380441000004"], { tag: "silver" });
    await db.did.updateMany({ where: { number: "380441000002" }, data: { afterHoldStatus: "reserved" } });
    const { page, pageErrors } = await openPage(t, browser, server, mode);
    const csp = await watchCspViolations(page, mode);

    // A package: three DIDs tagged gold, 30 days of hold.
    await page.goto("/packages/new");
    const packageForm = page.locator('form[action="/packages/new"]');
    await packageForm.getByLabel("Name").fill("Gold 3");
    await packageForm.getByLabel("Reseller").selectOption({ label: reseller.name });
    await packageForm.getByLabel("DID limit").fill("3");
    await packageForm.getByLabel("Allowed tags").fill("gold");
    await packageForm.getByLabel("Default hold days").fill("30");
    await packageForm.getByRole("button", { name: "Create package" }).click();
    await page.locator("p.flash", { hasText: "Created package" }).waitFor();

    // A client with its first account.
    await page.goto("/clients/new");
    const clientForm = page.locator('form[action="/clients/new"]');
    await clientForm.getByLabel("Name").fill("Hotel Kyiv");
    await clientForm.getByLabel("Reseller").selectOption({ label: reseller.name });
    await clientForm.getByLabel("First account").fill("Front desk");
    await clientForm.getByRole("button", { name: "OK" }).click();
    await page.waitForURL((url) => url.pathname !== "/clients/new");
    const client = await db.client.findFirstOrThrow({ where: { name: "Hotel Kyiv" } });

    // Subscribe it.
    await page.goto(`/clients/${client.id}/subscriptions`);
    if (mode.javaScript) await markDocument(page);
    const subscribe = page.locator(`form[action="/clients/${client.id}/subscriptions"]`);
    await subscribe.getByLabel("Package").selectOption({ label: "Gold 3 (3 DIDs)" });
    t.equal(await subscribe.getByLabel("Start date").inputValue(), "2026-11-27", "starts today by default");
    await subscribe.getByRole("button", { name: "Add subscription" }).click();
    await page.locator("#client-subscriptions table.list tbody tr").first().waitFor();
    t.same((await tableCells(page))[0]!.slice(0, 5), ["Gold 3", "2026-11-27", "none", "Active", "0 of 3"]);
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "the tab changed in place");
      await expectNoAxeViolations(t, page, "the Subscriptions tab");
    }

    // Pick DIDs: the picker offers the gold ones only.
    await page.getByRole("navigation", { name: "Client sections" }).getByRole("link", { name: "DIDs" }).click();
    await page.getByRole("link", { name: "Add DIDs" }).click();
    await page.locator("#did-picker table.list").waitFor();
    t.same((await tableCells(page)).map((r) => r[1]), ["380441000001", "380441000002", "380441000003"], "silver is not offered");
    t.match(await textOf(page, "#picker-left"), /3 of 3 left/);
    if (mode.javaScript) {
      await expectNoAxeViolations(t, page, "the picker");
      await markDocument(page);
      await page.getByLabel("Number contains").fill("0003");
      await page.waitForFunction(() => document.querySelectorAll("#did-picker table.list tbody tr").length === 1);
      t.ok(await documentMarked(page), "the picker filtered as it was typed, without a page load");
      t.match(new URL(page.url()).search, /number=0003/, "the search is in the address");
      // Back to the whole list by the Search button (the same request; no typing race to wait out).
      await page.getByLabel("Number contains").fill("");
      await page.getByRole("search", { name: "Search DIDs to pick" }).getByRole("button", { name: "Search" }).click();
      await page.waitForFunction(() => document.querySelectorAll("#did-picker table.list tbody tr").length === 3);
    }
    await page.getByLabel("380441000001").check();
    await page.getByLabel("380441000002").check();
    await page.getByRole("button", { name: "Add the ticked DIDs (or the range)" }).click();
    await page.waitForURL((url) => url.pathname === `/clients/${client.id}/dids`);
    await page.locator("#client-dids table.list").waitFor();
    t.same((await tableCells(page)).map((r) => r.slice(0, 4)), [
      ["380441000001", "Front desk", "Gold 3", "Active"],
      ["380441000002", "Front desk", "Gold 3", "Active"],
    ]);
    t.match(await textOf(page, "p.flash"), /Assigned 2 DIDs/);
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the DIDs tab");

    // In the inventory under client / account, and in the export with the package.
    await page.goto(`/dids?client=${client.id}`);
    const rows = await tableCells(page);
    t.same(rows.map((r) => [r[1], r[3], r[6]]), [
      ["Active", "380441000001", "Hotel Kyiv / Front desk"],
      ["Active", "380441000002", "Hotel Kyiv / Front desk"],
    ]);
    const csv = await (await page.request.get(`/dids/export?client=${client.id}`)).text();
    const header = csv.split("\r\n")[0]!.split(",");
    const packageColumn = header.indexOf("Package");
    t.same(csv.split("\r\n").slice(1, -1).map((line) => line.split(",")[packageColumn]), ['"Gold 3"', '"Gold 3"'], "the export names the package");

    // Deactivate: both go on hold for the package's 30 days.
    await page.goto(`/clients/${client.id}/subscriptions`);
    await page.getByRole("button", { name: "Deactivate" }).click();
    await page.locator("#client-subscriptions p.flash", { hasText: "Deactivated" }).or(page.locator("p.flash", { hasText: "Deactivated" })).first().waitFor();
    t.equal((await tableCells(page))[0]![3]!.startsWith("Inactive"), true, "the subscription is inactive");
    await page.goto(`/clients/${client.id}/dids`);
    t.same((await tableCells(page)).map((r) => [r[0], r[3], r[5]]), [
      ["380441000001", "Hold", "2026-12-27 09:00 UTC"],
      ["380441000002", "Hold", "2026-12-27 09:00 UTC"],
    ]);

    // Thirty-one days later the scheduler's run ends the holds.
    clock.advanceDays(31);
    await holdScheduler(clock).run({ id: 1n, kind: "hold-scheduler", payload: {}, attempt: 1, signal: new AbortController().signal, progress() {}, log: quiet } as never, db);
    await page.goto("/dids?contains=38044100000");
    t.same((await tableCells(page)).map((r) => [r[3], r[1], r[6]]), [
      ["380441000001", "In stock", ""],
      ["380441000002", "Reserved", ""],
      ["380441000003", "In stock", ""],
      ["380441000004", "In stock", ""],
    ], "each took its after-hold status, free of the client");
    await page.goto(`/clients/${client.id}/dids`);
    t.match(await textOf(page, "#client-dids .summary"), /^0 DIDs/);

    t.same(pageErrors, [], "no script errors");
    t.same(csp, [], "no CSP violations");
  });
}
