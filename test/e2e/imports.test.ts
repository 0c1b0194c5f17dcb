// An import in a real browser, as a person does it: from the inventory's "Import DIDs",
// upload a file, see the columns mapped, check, import, land on the imported DIDs. Every
// step runs as a background job here, so the progress bar is part of the path: with
// JavaScript it polls and swaps the next step in place; without, the page refreshes
// itself until the step is over. Then the imported DIDs are exported again. axe checks
// each new view.
import { readFile } from "node:fs/promises";
import t from "tap";
import { parse } from "csv-parse/sync";
import { jobHandlers } from "../../src/jobs/job-handlers.js";
import { startJobWorker } from "../../src/jobs/job-worker.js";
import { makeOperator, makeReseller } from "../helpers/factories.js";
import { documentMarked, expectNoAxeViolations, jsModes, launchBrowser, markDocument, openPage, shownNumbers, startServer, textOf, watchCspViolations } from "./browser.js";

const browser = await launchBrowser(t);
const quietLog = { info() {}, warn() {}, error() {}, child() { return quietLog; } };

for (const mode of jsModes) {
  t.test(`import a CSV: upload, map, check, import, see the DIDs, export them (${mode.name})`, async (t) => {
    const server = await startServer(t, { importInlineMaxBytes: 0 });
    const { db } = server;
    const worker = startJobWorker(db, jobHandlers(server.config), { pollIntervalMs: 100, log: quietLog });
    t.teardown(() => worker.stop());
    const reseller = await makeReseller(db, "Acme");
    await makeOperator(db, { name: "Kyivstar", resellerId: reseller.id });
    const { page, pageErrors } = await openPage(t, browser, server, mode);
    const csp = await watchCspViolations(page, mode);
    const file = "Number;Provider;Status;Comment\n380441000001;Kyivstar;In stock;first\n380441000002-380441000003;Kyivstar;reserved;\nnot a number;Kyivstar;;\n";

    await page.goto("/dids");
    await page.getByRole("link", { name: "Import DIDs" }).click();
    await page.getByLabel("File").waitFor();
    if (mode.javaScript) {
      await markDocument(page);
      await expectNoAxeViolations(t, page, "the upload form");
    }
    await page.getByLabel("File").setInputFiles({ name: "numbers.csv", mimeType: "text/csv", buffer: Buffer.from(file) });
    await page.getByRole("button", { name: "Upload and map columns" }).click();

    await page.getByRole("button", { name: "Check the file" }).waitFor();
    t.match(new URL(page.url()).pathname, /^\/imports\/\d+$/, "the import has its own address");
    if (mode.javaScript) t.ok(await documentMarked(page), "the mapping step swapped in place");
    t.equal(await page.getByLabel("Delimiter").inputValue(), "semicolon", "the delimiter is detected");
    t.same(
      await page.locator("select[name^='col_']").evaluateAll((selects) => selects.map((s) => (s as HTMLSelectElement).value)),
      ["did", "operator", "status", "notes"],
      "the headers are matched",
    );
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the mapping step");
    await page.getByRole("button", { name: "Check the file" }).click();

    await page.locator(".preview-summary").waitFor({ timeout: 30_000 });
    t.match(await textOf(page, ".preview-summary"), /3 DIDs can be imported; 1 will not be/);
    t.match(await textOf(page, "table.report"), /Invalid number\s*1\s*4/);
    t.equal(await db.did.count(), 0, "the check wrote nothing");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "the report replaced the progress bar in place");
      await expectNoAxeViolations(t, page, "the report");
    }
    await page.getByRole("button", { name: "Import the 3 valid rows" }).click();

    await page.waitForURL((url) => url.pathname === "/dids", { timeout: 30_000 });
    t.match(new URL(page.url()).search, /^\?batch=\d+$/, "the inventory opens filtered to this import");
    t.equal(await textOf(page, "p.flash"), "Imported 3 DIDs from numbers.csv.");
    t.same((await shownNumbers(page)).sort(), ["380441000001", "380441000002", "380441000003"]);
    t.match(await textOf(page, ".notice"), /imported together/);
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the imported DIDs");

    // And out again: the export of this search holds exactly the imported DIDs.
    const [exported] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export", exact: true }).click()]);
    t.equal(await exported.failure(), null, "the export downloaded");
    const rows = parse(await readFile((await exported.path())!), { bom: true }) as string[][];
    const didColumn = rows[0]!.indexOf("DID");
    t.same(rows.slice(1).map((row) => row[didColumn]).sort(), ["380441000001", "380441000002", "380441000003"]);
    t.equal(new URL(page.url()).pathname, "/dids", "the page stays where it was");

    await page.getByRole("link", { name: "Imports" }).click();
    await page.locator("table.list").waitFor();
    t.match(await textOf(page, "table.list tbody tr"), /numbers\.csv\s*admin.*3\s*3\s*1\s*Imported/);
    if (mode.javaScript) await expectNoAxeViolations(t, page, "the list of imports");
    t.same(pageErrors, [], "no script errors");
    t.same(csp, [], "no CSP violations");
  });
}
