// Signing in and out in a real browser, with JavaScript on (htmx) and off (plain HTML):
// a bookmarked search survives the sign-in detour, a wrong password is refused, signing
// out ends the session row; a session that expires during an htmx search leads to the
// sign-in page as a full page (HX-Redirect), never a sign-in form swapped into the table;
// a reseller's user sees only that reseller's DIDs and a support user gets no "New DIDs".
// Every page is watched for Content-Security-Policy violations and script errors.
import t, { type Test } from "tap";
import type { Page } from "playwright-core";
import type { Db } from "../../src/db/prisma.js";
import { testPassword } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import {
  countDocumentLoads,
  documentMarked,
  eventually,
  expectEventually,
  jsModes,
  launchBrowser,
  markDocument,
  numberRange,
  openPage,
  startServer,
  tableCells,
  textOf,
  watchCspViolations,
  type E2EServer,
} from "./browser.js";

const browser = await launchBrowser(t);

const statusLabel = { in_stock: "In stock", reserved: "Reserved" } as const;
type Status = keyof typeof statusLabel;

interface SeededDid {
  id: number;
  number: string;
  status: Status;
  operatorName: string;
  resellerName: string;
}

/**
 * Two resellers with one operator each, 19 DIDs in all: 13 contain "555", of which 9 are
 * in stock (5 of Kyiv's, 4 of Odesa's) and 5 reserved (3 + 2).
 */
async function seedInventory(db: Db) {
  const kyiv = await makeReseller(db, "Kyiv Reseller");
  const odesa = await makeReseller(db, "Odesa Reseller");
  const alpha = await makeOperator(db, { name: "Alpha Voice", resellerId: kyiv.id });
  const omega = await makeOperator(db, { name: "Omega Tel", resellerId: odesa.id });
  const batches = [
    { operator: alpha, status: "in_stock", numbers: numberRange("380445550001", 5) },
    { operator: alpha, status: "reserved", numbers: numberRange("380445550011", 3) },
    { operator: alpha, status: "in_stock", numbers: numberRange("380441110001", 3) },
    { operator: omega, status: "in_stock", numbers: numberRange("380485550001", 4) },
    { operator: omega, status: "reserved", numbers: numberRange("380485550011", 2) },
    { operator: omega, status: "in_stock", numbers: numberRange("380482220001", 2) },
  ] as const;
  const dids: SeededDid[] = [];
  for (const batch of batches) {
    const created = await makeDids(db, batch.operator.id, [...batch.numbers], { status: batch.status });
    for (const did of created) {
      dids.push({ id: did.id, number: did.number, status: batch.status, operatorName: batch.operator.name, resellerName: batch.operator.reseller.name });
    }
  }
  dids.sort((a, b) => a.number.localeCompare(b.number));
  /** The inventory table's cells for the DIDs that `keep` accepts, in the default order (by number). */
  const rows = (keep: (did: SeededDid) => boolean = () => true) =>
    dids.filter(keep).map((d) => [String(d.id), statusLabel[d.status], d.operatorName, d.number, "", "", "", d.resellerName, "", "History"]);
  return { kyiv, odesa, alpha, omega, rows };
}

const signInForm = (page: Page) => page.locator('form[action="/signin"]');

/** What tells the sign-in page, as a full page of its own, from anything else. */
async function signInPageState(page: Page) {
  return {
    path: new URL(page.url()).pathname,
    title: await page.title(),
    heading: await textOf(page, "main h1"),
    signInForms: await signInForm(page).count(),
    didBrowser: await page.locator("#did-browser").count(),
  };
}
const signInPage = { path: "/signin", title: "Sign in · DID inventory", heading: "Sign in", signInForms: 1, didBrowser: 0 };

/** Fills in and sends the sign-in form; the caller waits for what should follow. */
async function submitSignIn(page: Page, username: string, password: string): Promise<void> {
  const form = signInForm(page);
  await form.getByLabel("Username", { exact: true }).fill(username);
  await form.getByLabel("Password", { exact: true }).fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in through the form and waits until the browser has left the sign-in page. */
async function signInThroughForm(page: Page, username: string): Promise<void> {
  await submitSignIn(page, username, testPassword);
  await page.waitForURL((url) => url.pathname !== "/signin");
}

const pathAndQuery = (page: Page) => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

const hasSessionCookie = async (page: Page) => (await page.context().cookies()).some((cookie) => cookie.name === "did_session");

/** A page of its own browser context, signed out, watched for CSP violations and script errors. */
async function signedOutPage(t: Test, server: E2EServer, javaScript: boolean) {
  const opened = await openPage(t, browser, server, { javaScript, as: null });
  const cspViolations = await watchCspViolations(opened.page, { javaScript });
  return { ...opened, cspViolations };
}

/** htmx must really be running for the "JavaScript on" checks to mean anything. */
async function htmxLoaded(page: Page): Promise<boolean> {
  return page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx === "object");
}

for (const mode of jsModes) {
  t.test(`a bookmarked search survives signing in, then a search and signing out (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    const inventory = await seedInventory(db);
    // The harness signed its admin in behind the scenes: start with no session at all.
    await db.session.deleteMany();
    const { page, pageErrors, cspViolations } = await signedOutPage(t, server, mode.javaScript);

    const bookmark = "/dids?contains=555&status=in_stock";
    await page.goto(bookmark);
    t.same(await signInPageState(page), signInPage, "signed out, the bookmark leads to the sign-in page");
    t.equal(pathAndQuery(page), `/signin?next=${encodeURIComponent(bookmark)}`, "the address carries the bookmark as next");

    await submitSignIn(page, "admin", "not the password");
    await page.locator("#signin-error").waitFor();
    t.equal(await textOf(page, "#signin-error"), "Wrong username or password.", "a wrong password is refused");
    t.same(await signInPageState(page), signInPage, "still on the sign-in page");
    const form = signInForm(page);
    t.equal(await form.getByLabel("Username", { exact: true }).inputValue(), "admin", "the username is kept");
    t.equal(await form.getByLabel("Password", { exact: true }).inputValue(), "", "the password is not sent back");
    t.equal(await form.locator('input[name="next"]').inputValue(), bookmark, "the way back to the bookmark is kept");
    t.equal(await db.session.count(), 0, "no session was created");
    t.notOk(await hasSessionCookie(page), "no session cookie");

    await signInThroughForm(page, "admin");
    t.equal(pathAndQuery(page), bookmark, "the right password lands on the bookmarked search");
    t.same(await tableCells(page), inventory.rows((d) => d.number.includes("555") && d.status === "in_stock"), "exactly the bookmarked search's rows, every cell");
    t.equal(await textOf(page, "p.summary"), "9 DIDs match · page 1 of 1");
    t.equal(await textOf(page, "header .account .role"), "admin", "the header names the role");
    t.equal(await page.getByRole("link", { name: "New DIDs" }).count(), 1, "an admin gets the New DIDs button");
    t.equal(await db.session.count(), 1, "one session row");
    t.ok(await hasSessionCookie(page), "the browser holds the session cookie");
    if (mode.javaScript) t.ok(await htmxLoaded(page), "htmx runs on the page");

    // A search from the form: htmx swaps the results and pushes the URL, or a plain GET.
    const documentLoads = countDocumentLoads(page);
    if (mode.javaScript) await markDocument(page);
    const search = page.getByRole("search", { name: "Search DIDs" });
    await search.getByLabel("In stock", { exact: true }).uncheck();
    await search.getByLabel("Reserved", { exact: true }).check();
    await search.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((url) => url.searchParams.getAll("status").join() === "reserved");
    await expectEventually(t, () => tableCells(page), inventory.rows((d) => d.number.includes("555") && d.status === "reserved"), "exactly the reserved DIDs containing 555");
    t.equal(await textOf(page, "p.summary"), "5 DIDs match · page 1 of 1");
    const searched = new URL(page.url());
    t.equal(searched.searchParams.get("contains"), "555", "the address carries the search");
    if (mode.javaScript) {
      t.ok(await documentMarked(page), "no full page load: htmx swapped the results");
      t.equal(documentLoads.count, 0, "no document request");
      t.equal(searched.search, "?contains=555&status=reserved", "htmx pushed the canonical URL");
    } else {
      t.equal(documentLoads.count, 1, "the plain form loaded one new page");
    }

    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/signin");
    t.same(await signInPageState(page), signInPage, "signing out leads to the sign-in page");
    t.equal(await db.session.count(), 0, "the session row is gone");
    t.notOk(await hasSessionCookie(page), "the session cookie is gone");
    t.equal(await page.getByRole("button", { name: "Sign out" }).count(), 0, "no Sign out button when signed out");

    await page.goto("/dids");
    t.same(await signInPageState(page), signInPage, "the inventory asks to sign in again");
    t.equal(pathAndQuery(page), `/signin?next=${encodeURIComponent("/dids")}`);

    t.same(pageErrors, [], "no script errors");
    t.same(cspViolations, [], "no Content-Security-Policy violations");
  });
}

t.test("a session that expires during an htmx search leads to the sign-in page as a full page (JavaScript on)", async (t) => {
  const server = await startServer(t);
  const { db } = server;
  const inventory = await seedInventory(db);
  await db.session.deleteMany();
  const { page, pageErrors, cspViolations } = await signedOutPage(t, server, true);

  await page.goto("/signin");
  await signInThroughForm(page, "admin");
  t.equal(pathAndQuery(page), "/dids", "signed in, on the inventory");
  t.same(await tableCells(page), inventory.rows(), "all 19 DIDs");
  t.ok(await htmxLoaded(page), "htmx runs on the page");

  // The session ends behind the browser's back (expiry, sign-out elsewhere, disabling).
  t.equal((await db.session.deleteMany()).count, 1, "the session row is deleted");
  const documentLoads = countDocumentLoads(page);
  await markDocument(page);
  const search = page.getByRole("search", { name: "Search DIDs" });
  await search.getByLabel("Number contains").fill("555");
  const answer = page.waitForResponse((response) => new URL(response.url()).pathname === "/dids" && response.request().headers()["hx-request"] === "true");
  await search.getByRole("button", { name: "Search" }).click();
  const response = await answer;
  t.equal(response.status(), 401, "the htmx search is refused");
  t.equal(response.headers()["hx-redirect"], `/signin?next=${encodeURIComponent("/dids")}`, "with an HX-Redirect to the sign-in page, back to the page the user was on");

  await page.waitForURL((url) => url.pathname === "/signin");
  await page.waitForLoadState("load");
  t.same(await signInPageState(page), signInPage, "the sign-in page, with its own title, and no inventory around it");
  t.equal(await page.locator("table.list").count(), 0, "no results table on the page");
  t.notOk(await documentMarked(page), "a new document: a full navigation, not a swap");
  t.equal(documentLoads.count, 1, "one document request: the sign-in page");
  t.equal(pathAndQuery(page), `/signin?next=${encodeURIComponent("/dids")}`, "the address is the sign-in page's");
  t.notOk(await hasSessionCookie(page), "the dead session's cookie was cleared");

  await signInThroughForm(page, "admin");
  t.equal(pathAndQuery(page), "/dids", "signing in again lands back on the inventory");
  t.same(await tableCells(page), inventory.rows(), "with every row");
  t.equal(await db.session.count(), 1, "one new session row");
  t.same(pageErrors, [], "no script errors");
  t.same(cspViolations, [], "no Content-Security-Policy violations");
});

t.test("a session that expires before a plain search leads to sign-in and back to the search (JavaScript off)", async (t) => {
  const server = await startServer(t);
  const { db } = server;
  const inventory = await seedInventory(db);
  await db.session.deleteMany();
  const { page, pageErrors, cspViolations } = await signedOutPage(t, server, false);

  await page.goto("/signin");
  await signInThroughForm(page, "admin");
  t.equal(pathAndQuery(page), "/dids", "signed in, on the inventory");
  await db.session.deleteMany();

  const search = page.getByRole("search", { name: "Search DIDs" });
  await search.getByLabel("Number contains").fill("555");
  await search.getByRole("button", { name: "Search" }).click();
  await page.waitForURL((url) => url.pathname === "/signin");
  t.same(await signInPageState(page), signInPage, "the sign-in page");
  const next = new URL(page.url()).searchParams.get("next") ?? "";
  t.equal(new URL(next, server.baseUrl).searchParams.get("contains"), "555", "next is the search that was sent");

  await signInThroughForm(page, "admin");
  t.equal(new URL(page.url()).searchParams.get("contains"), "555", "signing in again lands on the search");
  t.same(await tableCells(page), inventory.rows((d) => d.number.includes("555")), "and runs it");
  t.same(pageErrors, [], "no script errors");
  t.same(cspViolations, [], "no Content-Security-Policy violations");
});

for (const mode of jsModes) {
  t.test(`a reseller's user sees only that reseller's DIDs; a support user gets no New DIDs (${mode.name})`, async (t) => {
    const server = await startServer(t);
    const { db } = server;
    const inventory = await seedInventory(db);
    // signInAs creates the users (password testPassword); the browser signs in through the form.
    await server.signInAs({ role: "reseller", resellerId: inventory.kyiv.id, username: "kyiv-clerk" });
    await server.signInAs({ role: "support", username: "helpdesk" });

    const reseller = await signedOutPage(t, server, mode.javaScript);
    await reseller.page.goto("/dids?contains=555");
    t.same(await signInPageState(reseller.page), signInPage, "the reseller's user is asked to sign in");
    await signInThroughForm(reseller.page, "kyiv-clerk");
    t.equal(pathAndQuery(reseller.page), "/dids?contains=555", "and lands on the search");
    t.equal(await textOf(reseller.page, "header .account .role"), "reseller");
    t.same(await tableCells(reseller.page), inventory.rows((d) => d.resellerName === "Kyiv Reseller" && d.number.includes("555")), "only Kyiv's DIDs containing 555");
    t.equal(await textOf(reseller.page, "p.summary"), "8 DIDs match · page 1 of 1", "the count leaves Odesa out too");
    const search = reseller.page.getByRole("search", { name: "Search DIDs" });
    const optionLabels = (label: string) => search.getByLabel(label, { exact: true }).locator("option").allTextContents();
    t.same(await optionLabels("Operator"), ["Any", "Alpha Voice (Kyiv Reseller)"], "only Kyiv's operator to choose");
    t.same(await optionLabels("Reseller"), ["Any", "Kyiv Reseller"], "only Kyiv to choose");
    await reseller.page.goto("/dids");
    t.same(await tableCells(reseller.page), inventory.rows((d) => d.resellerName === "Kyiv Reseller"), "the whole inventory is Kyiv's 11 DIDs");
    t.notMatch(await reseller.page.locator("main").innerText(), /Odesa|Omega|3804855500|3804822200/, "nothing of Odesa's anywhere on the page");
    t.equal(await reseller.page.getByRole("link", { name: "New DIDs" }).count(), 1, "a reseller's user may create DIDs");

    const support = await signedOutPage(t, server, mode.javaScript);
    await support.page.goto("/dids");
    t.same(await signInPageState(support.page), signInPage, "the support user is asked to sign in");
    await signInThroughForm(support.page, "helpdesk");
    t.equal(pathAndQuery(support.page), "/dids", "and lands on the inventory");
    t.equal(await textOf(support.page, "header .account .role"), "support");
    t.same(await tableCells(support.page), inventory.rows(), "support reads every reseller's DIDs");
    t.equal(await support.page.getByRole("link", { name: "New DIDs" }).count(), 0, "no New DIDs button");
    t.equal(await support.page.getByRole("button", { name: "New DIDs" }).count(), 0, "in any form");
    t.equal(await support.page.locator('table.list tbody a[href$="/edit"]').count(), 0, "no edit links on the rows (only the read-only view)");

    for (const [who, opened] of [["reseller", reseller], ["support", support]] as const) {
      t.same(opened.pageErrors, [], `no script errors (${who})`);
      t.same(opened.cspViolations, [], `no Content-Security-Policy violations (${who})`);
    }
  });
}

// The check above is only worth something if the watcher does see a violation.
t.test("the CSP watcher reports an inline script the policy blocks", async (t) => {
  const server = await startServer(t);
  const { page, cspViolations } = await signedOutPage(t, server, true);
  await page.goto("/signin");
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "document.title = 'inline ran'";
    document.body.append(script);
  });
  const seen = await eventually(
    async () => [...cspViolations],
    (list) => list.some((v) => v.startsWith("console:")) && list.some((v) => v.startsWith("event:")),
  );
  t.ok(seen.some((v) => v.startsWith("console:") && v.includes("Content Security Policy")), "the console error is seen");
  t.ok(seen.some((v) => v.startsWith("event:") && v.includes("script-src")), "the securitypolicyviolation event is seen");
  t.equal(await page.title(), "Sign in · DID inventory", "the inline script did not run");
});
