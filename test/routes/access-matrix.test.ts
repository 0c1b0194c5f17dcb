// Who may do what: every route of the app, for each kind of visitor, with the status it
// must answer. The table must name every route: a route added to the app without a row
// here fails the last test. Lists are checked to hold only rows in the visitor's scope.
import t from "tap";
import { buildTestApp, form, html, tableRows, text, type Browser } from "../helpers/app.js";
import { makeApiToken, makeClientAccount, makeDids, makeOperator, makeReseller, makeSubscription } from "../helpers/factories.js";
import { multipart } from "../helpers/multipart.js";
import { listRoutes } from "../helpers/routes.js";

type Who = "anonymous" | "admin" | "resellerA" | "resellerB" | "support";
const everyone: Who[] = ["anonymous", "admin", "resellerA", "resellerB", "support"];

t.test("access", async (t) => {
  const { app, db, admin, signInAs } = await buildTestApp(t);
  const a = await makeReseller(db, "Reseller A");
  const b = await makeReseller(db, "Reseller B");
  const opA = await makeOperator(db, { name: "Operator A", resellerId: a.id });
  const opB = await makeOperator(db, { name: "Operator B", resellerId: b.id });
  const accountA = await makeClientAccount(db, a.id, { client: "Client A", account: "main" });
  await makeClientAccount(db, b.id, { client: "Client B", account: "main" });
  const pkgA = await db.package.create({ data: { name: "Package A", resellerId: a.id, didLimit: 5 } });
  await db.package.create({ data: { name: "Package B", resellerId: b.id, didLimit: 5 } });
  const [a1] = await makeDids(db, opA.id, ["380441000001", "380441000002"], { tag: "shared-tag" });
  await makeDids(db, opA.id, ["380441000003"], { status: "active", clientAccountId: accountA.id, tag: "shared-tag" });
  await makeDids(db, opB.id, ["15551000001", "15551000002"], { tag: "shared-tag" });
  const browsers: Record<Exclude<Who, "anonymous">, Browser> = {
    admin,
    resellerA: await signInAs({ role: "reseller", resellerId: a.id, username: "res-a" }),
    resellerB: await signInAs({ role: "reseller", resellerId: b.id, username: "res-b" }),
    support: await signInAs({ role: "support", username: "helpdesk" }),
  };
  const request = (who: Who, options: Parameters<Browser["inject"]>[0]) => (who === "anonymous" ? app.inject(options) : browsers[who].inject(options));
  const supportUser = await db.user.findFirstOrThrow({ where: { username: "helpdesk" } });
  // Two imports of reseller A's user: one checked (its report and rejected rows), one at the mapping step.
  const uploadAsA = async () => {
    const body = multipart({ header: "1" }, { name: "a.csv", content: "DID,Operator\n380441000009,Operator A\n380441000001,Operator A\n" });
    const res = await browsers.resellerA.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
    return Number(/\d+$/.exec(String(res.headers.location))![0]);
  };
  const checkedImport = await uploadAsA();
  await browsers.resellerA.inject({ method: "POST", url: `/imports/${checkedImport}/mapping`, ...form({ col_0: "did", col_1: "operator", header: "1", delimiter: "comma", action: "check" }) });
  const mappingImport = await uploadAsA();

  t.test("lists hold only what is in scope, counts included", async (t) => {
    const numbers = async (who: Who, url: string) => tableRows(html((await request(who, { url })).body)).map((r) => r[3]).sort();
    t.same(await numbers("admin", "/dids"), ["15551000001", "15551000002", "380441000001", "380441000002", "380441000003"]);
    t.same(await numbers("support", "/dids"), ["15551000001", "15551000002", "380441000001", "380441000002", "380441000003"]);
    t.same(await numbers("resellerA", "/dids"), ["380441000001", "380441000002", "380441000003"]);
    t.same(await numbers("resellerB", "/dids"), ["15551000001", "15551000002"]);
    t.same(await numbers("resellerB", "/dids?tag=shared-tag"), ["15551000001", "15551000002"], "filters stay inside the scope");
    t.match(text(html((await request("resellerA", { url: "/dids" })).body).querySelector(".summary")), /^3 DIDs/, "the count too");
    t.match(text(html((await request("resellerB", { url: "/dids?contains=0000" })).body).querySelector(".summary")), /^2 DIDs/);

    const exported = async (who: Who, url: string) => (await request(who, { url })).body.split("\r\n").slice(1, -1).map((line) => line.split(",")[3]).sort();
    t.same(await exported("support", "/dids/export"), ["15551000001", "15551000002", "380441000001", "380441000002", "380441000003"], "exports too");
    t.same(await exported("resellerA", "/dids/export"), ["380441000001", "380441000002", "380441000003"]);
    t.same(await exported("resellerB", "/dids/export?tag=shared-tag"), ["15551000001", "15551000002"]);

    const page = html((await request("resellerA", { url: "/dids" })).body);
    t.same(page.querySelectorAll("#s-operator option").map((o) => text(o)), ["Any", "Operator A (Reseller A)"], "filter choices are scoped");
    t.same(page.querySelectorAll("#s-reseller option").map((o) => text(o)), ["Any", "Reseller A"]);
    const suggested = html((await request("resellerA", { url: "/clients/suggest?q=client" })).body);
    t.same(suggested.querySelectorAll("option").map((o) => o.getAttribute("value")), ["Client A"], "client suggestions too");
    const clients = async (who: Who) => tableRows(html((await request(who, { url: "/clients" })).body)).map((r) => `${r[1]}:${r[4]}`);
    t.same(await clients("resellerA"), ["Client A:1"]);
    t.same(await clients("resellerB"), ["Client B:0"]);
    t.same(await clients("support"), ["Client A:1", "Client B:0"]);

    for (const url of [`/dids?operator=${opB.id}`, `/dids?reseller=${b.id}`]) {
      const res = await request("resellerA", { url });
      t.equal(res.statusCode, 400, `${url}: another reseller's id is unknown here`);
      t.match(text(html(res.body)), /There is no (operator|reseller) with ID/);
    }
    const operators = async (who: Who) => tableRows(html((await request(who, { url: "/operators" })).body)).map((r) => `${r[1]}:${r[2]}`);
    t.same(await operators("resellerA"), ["Operator A:3"]);
    t.same(await operators("resellerB"), ["Operator B:2"]);
    t.same(await operators("support"), ["Operator A:3", "Operator B:2"]);
    const packages = async (who: Who) => tableRows(html((await request(who, { url: "/packages" })).body)).map((r) => `${r[1]}:${r[2]}`);
    t.same(await packages("resellerA"), ["Package A:Reseller A"]);
    t.same(await packages("resellerB"), ["Package B:Reseller B"]);
    t.same(await packages("support"), ["Package A:Reseller A", "Package B:Reseller B"]);
    t.match(text(html((await request("resellerB", { url: "/packages" })).body).querySelector(".summary")), /^1 package$/, "the count too");
    t.same(tableRows(html((await request("resellerB", { url: "/resellers" })).body)).map((r) => r[1]), ["Reseller B"]);
    t.same(tableRows(html((await request("admin", { url: "/resellers" })).body)).map((r) => r[1]), ["Reseller A", "Reseller B"]);

    const support = html((await request("support", { url: "/dids" })).body);
    t.notOk(support.querySelector('a[href="/dids/new"]'), "support sees no New DIDs button");
    t.notOk(support.querySelector('a[href$="/edit"]'), "nor edit links");
    const view = html((await request("support", { url: `/dids/${a1!.id}` })).body);
    t.notOk(view.querySelector("form[action$='/edit'], a[href$='/delete']"), "a DID is shown to support read only");
    const facts = Object.fromEntries(view.querySelectorAll("dl.facts dt").map((dt) => [text(dt), text(dt.nextElementSibling)]));
    t.match(facts, { Operator: "Operator A", Status: "In stock", "After hold": "In stock", "Hold days": "0", Tag: "shared-tag" });
    t.notOk(html((await request("support", { url: "/operators" })).body).querySelector('a[href$="/delete"], a[href="/operators/new"]'), "nor operator buttons");
    t.notOk(html((await request("support", { url: "/packages" })).body).querySelector('a[href$="/delete"], a[href$="/edit"], a[href="/packages/new"]'), "nor package buttons");
    t.notOk(html((await request("support", { url: "/resellers" })).body).querySelector("form[action='/resellers']"));
    t.notOk(html((await request("resellerA", { url: "/dids" })).body).querySelector('a[href="/users"]'), "only admins see Users");
    t.ok(html((await request("admin", { url: "/dids" })).body).querySelector('a[href="/users"]'));
    t.notOk(html((await request("support", { url: "/dids" })).body).querySelector('a[href="/api-tokens"]'), "only admins see API tokens");
    t.ok(html((await request("admin", { url: "/dids" })).body).querySelector('a[href="/api-tokens"]'));
  });

  t.test("creating numbers that another reseller holds tells neither the numbers nor whose", async (t) => {
    const res = await request("resellerA", { method: "POST", url: "/dids/new", ...form({ numbers: "15551000001-15551000003\n380441000001", operator: String(opA.id) }) });
    t.equal(res.statusCode, 422);
    const body = html(res.body);
    t.equal(text(body.querySelector(".conflicts")), "380441000001", "only their own existing number is listed");
    t.match(text(body), /2 numbers are not available/);
    t.notMatch(text(body.querySelector(".conflicts")), /1555/);
    t.notMatch(res.body, /Reseller B|Operator B/);
  });

  // Fresh rows for the routes that change things, so every visitor acts on its own.
  let serial = 0;
  const freshDid = async () => (await makeDids(db, opA.id, [`49300${String(++serial).padStart(5, "0")}`]))[0]!.id;
  const freshOperator = async () => (await makeOperator(db, { name: `Spare ${++serial}`, resellerId: a.id })).id;
  const freshPackage = async () => (await db.package.create({ data: { name: `Spare ${++serial}`, resellerId: a.id, didLimit: 1 } })).id;
  const packageFields = (name: string) => ({ name, reseller: String(a.id), did_limit: "10", allowed_tags: "vip gold", default_hold_days: "0" });
  const freshAccount = async () => makeClientAccount(db, a.id, { client: `Spare client ${++serial}`, account: "Main" });
  const clientA = `/clients/${accountA.clientId}`;
  const accountOfA = `${clientA}/accounts/${accountA.id}`;

  interface Row {
    method: "GET" | "POST";
    route: string;
    url: () => Promise<string> | string;
    body?: () => Record<string, string>;
    expect: Record<Who, number>;
  }
  const statuses = (anonymous: number, admin: number, resellerA: number, resellerB: number, support: number): Record<Who, number> => ({ anonymous, admin, resellerA, resellerB, support });
  // The mass routes act on a fresh DID of reseller A, made when the row's URL is asked for.
  let bulkDid = 0;
  const bulkUrl = (path: string) => async () => {
    bulkDid = await freshDid();
    return path;
  };
  const bulk = (fields: Record<string, string> = {}) => () => ({ search: "", id: String(bulkDid), ...fields });
  const didEdit = { operator: String(opA.id), status: "reserved", after_hold: "in_stock", hold_days: "0" };
  // A client of reseller A with a package and subscriptions: its Subscriptions and DIDs tabs.
  const clientIdA = accountA.clientId;
  const freshSubscription = async (active: boolean) => (await makeSubscription(db, clientIdA, pkgA, { active })).id;
  const subscriptionA = await freshSubscription(true);
  const freshAssigned = async () => {
    const id = await freshDid();
    await db.did.update({ where: { id }, data: { status: "active", clientAccountId: accountA.id, subscriptionId: subscriptionA } });
    return id;
  };
  const matrix: Row[] = [
    { method: "GET", route: "/", url: () => "/", expect: statuses(303, 302, 302, 302, 302) },
    { method: "GET", route: "/healthz", url: () => "/healthz", expect: statuses(200, 200, 200, 200, 200) },
    // Unconfigured here (no METRICS_TOKEN or METRICS_ALLOW): closed to everyone, sessions included (metrics.test.ts opens it).
    { method: "GET", route: "/metrics", url: () => "/metrics", expect: statuses(404, 404, 404, 404, 404) },
    { method: "GET", route: "/readyz", url: () => "/readyz", expect: statuses(200, 200, 200, 200, 200) },
    { method: "GET", route: "/dialog/close", url: () => "/dialog/close", expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/signin", url: () => "/signin", expect: statuses(200, 303, 303, 303, 303) },
    { method: "POST", route: "/signin", url: () => "/signin", body: () => ({ username: "nobody", password: "wrong password" }), expect: statuses(403, 401, 401, 401, 401) },
    { method: "GET", route: "/account/password", url: () => "/account/password", expect: statuses(303, 200, 200, 200, 200) },
    { method: "POST", route: "/account/password", url: () => "/account/password", body: () => ({ current: "not it", password: "x", repeat: "x" }), expect: statuses(303, 422, 422, 422, 422) },
    { method: "GET", route: "/dids", url: () => "/dids", expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/dids/export", url: () => "/dids/export", expect: statuses(303, 200, 200, 200, 200) },
    // Another reseller's ticked DID is not there: resellerB gets a file with the header only.
    { method: "POST", route: "/dids/export", url: bulkUrl("/dids/export"), body: bulk(), expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/dids/new", url: () => "/dids/new", expect: statuses(303, 200, 200, 200, 403) },
    { method: "POST", route: "/dids/new", url: () => "/dids/new", body: () => ({ numbers: `4931${String(++serial).padStart(6, "0")}`, operator: String(opA.id) }), expect: statuses(303, 303, 303, 422, 403) },
    { method: "GET", route: "/dids/:id", url: () => `/dids/${a1!.id}`, expect: statuses(303, 200, 200, 404, 200) },
    { method: "GET", route: "/dids/:id/edit", url: () => `/dids/${a1!.id}/edit`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/dids/:id/edit", url: () => `/dids/${a1!.id}/edit`, body: () => didEdit, expect: statuses(303, 303, 303, 404, 403) },
    { method: "POST", route: "/dids/mass-edit", url: bulkUrl("/dids/mass-edit"), body: bulk(), expect: statuses(303, 200, 200, 422, 403) },
    { method: "POST", route: "/dids/mass-edit/change", url: bulkUrl("/dids/mass-edit/change"), body: bulk({ change_tag: "1", tag: "x" }), expect: statuses(303, 200, 200, 200, 403) },
    { method: "POST", route: "/dids/mass-edit/preview", url: bulkUrl("/dids/mass-edit/preview"), body: bulk({ change_tag: "1", tag: "x" }), expect: statuses(303, 200, 200, 422, 403) },
    { method: "POST", route: "/dids/mass-edit/apply", url: bulkUrl("/dids/mass-edit/apply"), body: bulk({ change_tag: "1", tag: "x" }), expect: statuses(303, 303, 303, 422, 403) },
    { method: "POST", route: "/dids/mass-delete", url: bulkUrl("/dids/mass-delete"), body: bulk(), expect: statuses(303, 200, 200, 422, 403) },
    { method: "POST", route: "/dids/mass-delete/apply", url: bulkUrl("/dids/mass-delete/apply"), body: bulk(), expect: statuses(303, 303, 303, 422, 403) },
    { method: "GET", route: "/dids/:id/delete", url: () => `/dids/${a1!.id}/delete`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/dids/:id/delete", url: async () => `/dids/${await freshDid()}/delete`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/operators", url: () => "/operators", expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/operators/new", url: () => "/operators/new", expect: statuses(303, 200, 200, 200, 403) },
    { method: "POST", route: "/operators/new", url: () => "/operators/new", body: () => ({ name: `New ${++serial}`, reseller: String(a.id) }), expect: statuses(303, 303, 303, 422, 403) },
    { method: "GET", route: "/operators/:id/delete", url: () => `/operators/${opA.id}/delete`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/operators/:id/delete", url: async () => `/operators/${await freshOperator()}/delete`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/packages", url: () => "/packages", expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/packages/new", url: () => "/packages/new", expect: statuses(303, 200, 200, 200, 403) },
    // Reseller B names reseller A: as if it did not exist.
    { method: "POST", route: "/packages/new", url: () => "/packages/new", body: () => packageFields(`New ${++serial}`), expect: statuses(303, 303, 303, 422, 403) },
    { method: "GET", route: "/packages/:id/edit", url: () => `/packages/${pkgA.id}/edit`, expect: statuses(303, 200, 200, 404, 403) },
    // The reseller field of the edit form is read only: sent, it must be the package's own.
    { method: "POST", route: "/packages/:id/edit", url: () => `/packages/${pkgA.id}/edit`, body: () => packageFields("Package A"), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/packages/:id/delete", url: () => `/packages/${pkgA.id}/delete`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/packages/:id/delete", url: async () => `/packages/${await freshPackage()}/delete`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/clients", url: () => "/clients", expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/clients/suggest", url: () => "/clients/suggest?q=client", expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/clients/new", url: () => "/clients/new", expect: statuses(303, 200, 200, 200, 403) },
    { method: "POST", route: "/clients/new", url: () => "/clients/new", body: () => ({ name: `Client ${++serial}`, reseller: String(a.id) }), expect: statuses(303, 303, 303, 422, 403) },
    { method: "GET", route: "/clients/:id", url: () => clientA, expect: statuses(303, 200, 200, 404, 200) },
    { method: "GET", route: "/clients/:id/edit", url: () => `${clientA}/edit`, expect: statuses(303, 200, 200, 404, 403) },
    // The same name and notes: saved as "nothing changed".
    { method: "POST", route: "/clients/:id/edit", url: () => `${clientA}/edit`, body: () => ({ name: "Client A" }), expect: statuses(303, 303, 303, 404, 403) },
    // Client A has a DID: the page says why it cannot be deleted.
    { method: "GET", route: "/clients/:id/delete", url: () => `${clientA}/delete`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/clients/:id/delete", url: async () => `/clients/${(await freshAccount()).clientId}/delete`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "POST", route: "/clients/:id/accounts", url: () => `${clientA}/accounts`, body: () => ({ name: `Account ${++serial}` }), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/clients/:id/accounts/:accountId/edit", url: () => `${accountOfA}/edit`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/clients/:id/accounts/:accountId/edit", url: () => `${accountOfA}/edit`, body: () => ({ name: "main" }), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/clients/:id/accounts/:accountId/delete", url: () => `${accountOfA}/delete`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/clients/:id/accounts/:accountId/delete", url: async () => { const account = await freshAccount(); return `/clients/${account.clientId}/accounts/${account.id}/delete`; }, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/resellers", url: () => "/resellers", expect: statuses(303, 200, 200, 200, 200) },
    { method: "POST", route: "/resellers", url: () => "/resellers", body: () => ({ name: `Reseller ${++serial}` }), expect: statuses(303, 303, 404, 404, 403) },
    { method: "GET", route: "/audit", url: () => "/audit", expect: statuses(303, 200, 200, 200, 200) },
    { method: "GET", route: "/imports", url: () => "/imports", expect: statuses(303, 200, 200, 200, 403) },
    { method: "GET", route: "/imports/new", url: () => "/imports/new", expect: statuses(303, 200, 200, 200, 403) },
    { method: "POST", route: "/imports", url: () => "/imports", body: () => ({ header: "1" }), expect: statuses(303, 422, 422, 422, 403) },
    { method: "GET", route: "/imports/:id", url: () => `/imports/${checkedImport}`, expect: statuses(303, 200, 200, 404, 403) },
    // A step that is over: the progress address forwards to the import's page.
    { method: "GET", route: "/imports/:id/progress", url: () => `/imports/${checkedImport}/progress`, expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/imports/:id/rejected.csv", url: () => `/imports/${checkedImport}/rejected.csv`, expect: statuses(303, 200, 200, 404, 403) },
    { method: "POST", route: "/imports/:id/mapping", url: () => `/imports/${mappingImport}/mapping`, body: () => ({ col_0: "did", header: "1", delimiter: "comma", action: "preview" }), expect: statuses(303, 200, 200, 404, 403) },
    // At the mapping step there is nothing to commit: the import's page says where it is.
    { method: "POST", route: "/imports/:id/commit", url: () => `/imports/${mappingImport}/commit`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "POST", route: "/imports/:id/restart", url: () => `/imports/${checkedImport}/restart`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "POST", route: "/imports/:id/cancel", url: () => `/imports/${mappingImport}/cancel`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/clients/:id/subscriptions", url: () => `/clients/${clientIdA}/subscriptions`, expect: statuses(303, 200, 200, 404, 200) },
    { method: "POST", route: "/clients/:id/subscriptions", url: () => `/clients/${clientIdA}/subscriptions`, body: () => ({ package: String(pkgA.id) }), expect: statuses(303, 303, 303, 404, 403) },
    { method: "POST", route: "/subscriptions/:id/deactivate", url: async () => `/subscriptions/${await freshSubscription(true)}/deactivate`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "POST", route: "/subscriptions/:id/reactivate", url: async () => `/subscriptions/${await freshSubscription(false)}/reactivate`, body: () => ({}), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/clients/:id/dids", url: () => `/clients/${clientIdA}/dids`, expect: statuses(303, 200, 200, 404, 200) },
    { method: "GET", route: "/clients/:id/dids/add", url: () => `/clients/${clientIdA}/dids/add`, expect: statuses(303, 200, 200, 404, 403) },
    // Tagged as Package A allows (its edit row above sets the tags).
    { method: "POST", route: "/clients/:id/dids/add", url: async () => { bulkDid = await freshDid(); await db.did.update({ where: { id: bulkDid }, data: { tag: "vip" } }); return `/clients/${clientIdA}/dids/add`; }, body: () => ({ account: String(accountA.id), subscription: String(subscriptionA), did: String(bulkDid) }), expect: statuses(303, 303, 303, 404, 403) },
    { method: "POST", route: "/clients/:id/dids/:didId", url: async () => `/clients/${clientIdA}/dids/${await freshAssigned()}`, body: () => ({ action: "block" }), expect: statuses(303, 303, 303, 404, 403) },
    { method: "GET", route: "/users", url: () => "/users", expect: statuses(303, 200, 404, 404, 404) },
    { method: "GET", route: "/users/new", url: () => "/users/new", expect: statuses(303, 200, 404, 404, 404) },
    { method: "POST", route: "/users/new", url: () => "/users/new", body: () => ({ username: `user${++serial}`, role: "support", password: "a long enough password" }), expect: statuses(303, 303, 404, 404, 403) },
    { method: "GET", route: "/users/:id/edit", url: () => `/users/${supportUser.id}/edit`, expect: statuses(303, 200, 404, 404, 404) },
    { method: "POST", route: "/users/:id/edit", url: () => `/users/${supportUser.id}/edit`, body: () => ({ role: "support" }), expect: statuses(303, 303, 404, 404, 403) },
    { method: "POST", route: "/users/:id/password", url: () => `/users/${supportUser.id}/password`, body: () => ({ password: "too short" }), expect: statuses(303, 422, 404, 404, 403) },
    // The routing API takes bearer tokens only: a session is no credential there (its own tests use tokens).
    { method: "GET", route: "/api/v1/route/:number", url: () => "/api/v1/route/380441000001", expect: statuses(401, 401, 401, 401, 401) },
    { method: "POST", route: "/api/v1/route", url: () => "/api/v1/route", body: () => ({ numbers: "380441000001" }), expect: statuses(401, 401, 401, 401, 401) },
    { method: "GET", route: "/api/openapi.json", url: () => "/api/openapi.json", expect: statuses(200, 200, 200, 200, 200) },
    // Admins only, like /users: a 404 for everyone else, and support's writes a 403 first.
    { method: "GET", route: "/api-tokens", url: () => "/api-tokens", expect: statuses(303, 200, 404, 404, 404) },
    { method: "GET", route: "/api-tokens/new", url: () => "/api-tokens/new", expect: statuses(303, 200, 404, 404, 404) },
    // Not a redirect: the new token is shown in the answer, once.
    { method: "POST", route: "/api-tokens/new", url: () => "/api-tokens/new", body: () => ({ name: `Token ${++serial}`, reseller: String(a.id) }), expect: statuses(303, 201, 404, 404, 403) },
    { method: "GET", route: "/api-tokens/:id/revoke", url: async () => `/api-tokens/${(await makeApiToken(db)).id}/revoke`, expect: statuses(303, 200, 404, 404, 404) },
    { method: "POST", route: "/api-tokens/:id/revoke", url: async () => `/api-tokens/${(await makeApiToken(db, { resellerId: a.id })).id}/revoke`, body: () => ({}), expect: statuses(303, 303, 404, 404, 403) },
    // Last: it ends the visitor's session.
    { method: "POST", route: "/signout", url: () => "/signout", body: () => ({}), expect: statuses(303, 303, 303, 303, 303) },
  ];

  t.test("every route, every visitor", async (t) => {
    for (const row of matrix) {
      for (const who of everyone) {
        const url = await row.url();
        const res = await request(who, row.method === "GET" ? { url } : { method: "POST", url, ...form(row.body!()) });
        t.equal(res.statusCode, row.expect[who], `${row.method} ${row.route} as ${who}`);
        if (res.statusCode >= 400) t.notMatch(res.body, /at .*\.(ts|js):\d+/, "no stack trace");
      }
    }
  });

  t.test("the table names every route of the app", async (t) => {
    const routes = listRoutes(app.printRoutes({ commonPrefix: false })).filter((r) => !r.path.startsWith("/static/"));
    const named = new Set(matrix.map((row) => `${row.method} ${row.route}`));
    for (const route of routes) t.ok(named.has(`${route.method} ${route.path}`), `${route.method} ${route.path} has a row`);
  });
});
