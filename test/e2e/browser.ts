// End-to-end harness: the real app listening on a free port, and Debian's Chromium driven
// by playwright-core. One browser per test file (launchBrowser), one app and database per
// scenario (startServer), one browser context per page so that cookies, htmx's history
// cache and the JavaScript switch never leak between scenarios (openPage).
//
// Not a test file (no .test.ts): the e2e test files import it.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Test } from "tap";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import type { BuildOptions } from "../../src/app.js";
import type { AppConfig } from "../../src/config.js";
import { buildTestApp, type TestApp } from "../helpers/app.js";

export const chromiumPath = "/usr/bin/chromium";

const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** How long a poll or a locator waits for the page to reach an expected state. */
export const waitMs = 10_000;

/** The two ways every scenario runs: htmx enhancing the pages, and plain HTML. */
export const jsModes = [
  { name: "JavaScript on", javaScript: true },
  { name: "JavaScript off", javaScript: false },
] as const;

/**
 * Chromium for the whole file, closed when the file's tests end. A missing browser is a
 * failure here: `npm test` leaves these files out (and says so) only outside CI.
 */
export async function launchBrowser(t: Test): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `The end-to-end tests need Chromium at ${chromiumPath}, which does not exist. ` +
        "Install it with `apt-get update && apt-get install -y chromium` (playwright's own browser download does not work here).",
    );
  }
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 60_000 });
  t.teardown(() => browser.close());
  return browser;
}

export interface E2EServer extends TestApp {
  /** http://127.0.0.1:PORT, no trailing slash. */
  baseUrl: string;
}

/** The app on its own fresh database, listening on a free local port until `t` ends. */
export async function startServer(t: Test, overrides: Partial<AppConfig> = {}, options: Pick<BuildOptions, "clock"> = {}): Promise<E2EServer> {
  const testApp = await buildTestApp(t, overrides, options);
  // buildTestApp's teardown closes the app, which stops the listener too.
  const address = await testApp.app.listen({ port: 0, host: "127.0.0.1" });
  return { ...testApp, baseUrl: address.replace(/\/$/, "") };
}

export interface E2EPage {
  page: Page;
  /** Uncaught exceptions in the page's scripts: a scenario ends by checking it is empty. */
  pageErrors: string[];
}

/**
 * A new page in a new context (its own cookies and storage), closed when `t` ends. It is
 * signed in as `as` (the test app's admin unless given; `null`: signed out), by handing
 * the browser that user's session cookie. The sign-in form itself has its own e2e test.
 */
export async function openPage(
  t: Test,
  browser: Browser,
  server: E2EServer,
  options: { javaScript: boolean; as?: { cookies: string } | null },
): Promise<E2EPage> {
  const context = await browser.newContext({ baseURL: server.baseUrl, javaScriptEnabled: options.javaScript });
  const user = options.as === undefined ? server.admin : options.as;
  const session = user ? /did_session=([^;]+)/.exec(user.cookies)?.[1] : undefined;
  if (session) await context.addCookies([{ name: "did_session", value: session, url: server.baseUrl, httpOnly: true, sameSite: "Lax" }]);
  context.setDefaultTimeout(waitMs);
  context.setDefaultNavigationTimeout(waitMs * 2);
  t.teardown(() => context.close());
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  return { page, pageErrors };
}

/**
 * Reads `read` until `done` holds or the time is up, and returns the last value, so that
 * the caller asserts on it and a failure shows what the page really showed.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = waitMs): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // A read during a navigation (Back reloads the page) fails; it is tried again.
  const attempt = async (): Promise<{ value: T } | { error: unknown }> => {
    try {
      return { value: await read() };
    } catch (error) {
      return { error };
    }
  };
  let result = await attempt();
  while (("error" in result || !done(result.value)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    result = await attempt();
  }
  if ("error" in result) throw result.error;
  return result.value;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Waits until `read` gives `expected` (compared as JSON), then asserts it. */
export async function expectEventually<T>(t: Test, read: () => Promise<T>, expected: T, message: string): Promise<void> {
  t.same(await eventually(read, (value) => sameJson(value, expected)), expected, message);
}

/** The text of every cell of the given table rows, row by row, whitespace collapsed. */
export async function rowCells(rows: Locator): Promise<string[][]> {
  return rows.evaluateAll((trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (cell) => (cell.textContent ?? "").replace(/\s+/g, " ").trim())));
}

/** The text of every cell of the results table (the page has one), row by row. */
export async function tableCells(page: Page): Promise<string[][]> {
  return rowCells(page.locator("table.list tbody tr"));
}

/** The inventory's column headings, in order (the DID column is where the number is). */
const didColumns = ["ID", "Status", "Operator", "DID", "Tag", "Notes", "Client", "Reseller"] as const;
export const didColumn = (name: (typeof didColumns)[number]) => didColumns.indexOf(name);

/** The DID numbers the inventory table shows, top to bottom. */
export async function shownNumbers(page: Page): Promise<string[]> {
  return (await tableCells(page)).map((cells) => cells[didColumn("DID")] ?? "");
}

/** The text of the first element matching `selector` in `scope`, whitespace collapsed, or "" when there is none. */
export async function textOf(scope: Page | Locator, selector: string): Promise<string> {
  const element = scope.locator(selector).first();
  if ((await element.count()) === 0) return "";
  return ((await element.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

/** Numbers from `first` on, `count` of them, as digit strings of the same width. */
export function numberRange(first: string, count: number): string[] {
  const start = BigInt(first);
  return Array.from({ length: count }, (_, i) => (start + BigInt(i)).toString().padStart(first.length, "0"));
}

/**
 * Marks the live document so that a later check can tell an htmx swap (the mark survives)
 * from a full page load (a fresh document has no mark).
 */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __marker?: number }).__marker = 1;
  });
}

export async function documentMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __marker?: number }).__marker === 1);
}

/** Counts the page's document (full page) requests from now on. */
export function countDocumentLoads(page: Page): { readonly count: number } {
  const counter = { count: 0 };
  page.on("request", (request) => {
    if (request.resourceType() === "document" && request.frame() === page.mainFrame()) counter.count++;
  });
  return counter;
}

/**
 * Collects the page's Content-Security-Policy violations from now on, as text: the
 * console's "Refused to ... Content Security Policy" errors (reported with JavaScript on
 * or off) and, with JavaScript on, the documents' `securitypolicyviolation` events. Call
 * it before the first navigation; a scenario ends by checking the list is empty.
 */
export async function watchCspViolations(page: Page, options: { javaScript: boolean }): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().includes("Content Security Policy")) violations.push(`console: ${message.text()}`);
  });
  if (options.javaScript) {
    // Installed through the DevTools protocol, so the page's own CSP does not block them.
    await page.exposeBinding("__reportCspViolation", (_source, text: string) => {
      violations.push(`event: ${text}`);
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        const report = (window as unknown as { __reportCspViolation: (text: string) => void }).__reportCspViolation;
        report(`${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"} in ${event.sourceFile || location.href}:${event.lineNumber}`);
      });
    });
  }
  return violations;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core (WCAG 2 A and AA rules) on the page as it is now and asserts it finds
 * nothing. axe is injected through the DevTools protocol, which the page's CSP does not
 * block; it needs JavaScript, so scenarios call it in their JavaScript-on run.
 */
export async function expectNoAxeViolations(t: Test, page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  });
  t.same(violations, [], `axe finds nothing on ${what}`);
}
