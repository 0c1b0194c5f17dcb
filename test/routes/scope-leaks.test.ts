// What a reseller's user can learn about numbers outside their scope: that a number they
// try to create exists somewhere else, and nothing more (not whose it is, its status, its
// operator, its client, tag or notes). Everywhere else another reseller's rows answer
// exactly as rows that do not exist.
import t from "tap";
import { buildTestApp, form, html, tableRows, text, type Browser } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator, makeReseller } from "../helpers/factories.js";

/** A page with this browser's one-time tokens and the given values blanked out. */
function normalized(body: string, ...values: (string | number)[]): string {
  let out = body.replace(/hx-headers="[^"]*"/g, 'hx-headers="…"').replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="…"');
  for (const value of values) out = out.split(String(value)).join("«value»");
  return out;
}

t.test("another reseller's numbers", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const a = await makeReseller(db, "Reseller A");
  const opA = await makeOperator(db, { name: "Operator A", resellerId: a.id });
  const ownAccount = await makeClientAccount(db, a.id, { client: "Own client", account: "Own account" });
  // Reseller B's IDs are long and distinctive, so that a page can be compared with the
  // page of a missing ID by blanking the ID out.
  for (const table of ["reseller", "operator", "client", "client_account", "package", "subscription", "did", "operation"]) {
    await db.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), 700000)`);
  }
  const b = await makeReseller(db, "Reseller B");
  const opB = await makeOperator(db, { name: "Operator B", resellerId: b.id });
  const accountB = await makeClientAccount(db, b.id, { client: "Client B", account: "Secret account" });
  const packageB = await db.package.create({ data: { name: "Secret package", resellerId: b.id, didLimit: 5, allowedTags: ["vip-tag"] } });
  await db.subscription.create({ data: { clientId: accountB.clientId, packageId: packageB.id, resellerId: b.id, startDate: new Date("2026-01-01") } });
  const [inStock] = await makeDids(db, opB.id, ["15550000001"]);
  const [assigned] = await makeDids(db, opB.id, ["15550000002"], { status: "active", clientAccountId: accountB.id, tag: "vip-tag", notes: "private notes" });
  const [archived] = await makeDids(db, opB.id, ["15550000003"], { status: "archive", tag: "old-tag" });
  const created = await admin.inject({ method: "POST", url: "/dids/new", ...form({ numbers: "15550000004", operator: String(opB.id) }) });
  const batchB = Number(/batch=(\d+)/.exec(String(created.headers.location))![1]);
  const ownDid = (await makeDids(db, opA.id, ["380440000001"], { status: "active", clientAccountId: ownAccount.id }))[0]!;
  t.ok(assigned!.id > 700000 && batchB > 700000 && opB.id > 700000 && packageB.id > 700000);
  const resellerA: Browser = await signInAs({ role: "reseller", resellerId: a.id, username: "res-a" });
  const secrets = /Reseller B|Operator B|Client B|Secret account|Secret package|vip-tag|old-tag|private notes/;

  t.test("the create form says only that a number is not available", async (t) => {
    const tryCreate = (number: string) => resellerA.inject({ method: "POST", url: "/dids/new", ...form({ numbers: number, operator: String(opA.id) }) });
    const answers = [];
    for (const did of [inStock!, assigned!, archived!]) {
      const res = await tryCreate(did.number);
      t.equal(res.statusCode, 422, did.number);
      const page = html(res.body);
      const createForm = page.querySelector('form[action="/dids/new"]');
      t.match(text(createForm), /1 number is not available \(in use outside your stock\)/);
      t.notOk(page.querySelector(".conflicts"), "the number is not listed as existing");
      t.notMatch(res.body, secrets, "nothing about whose it is or its state");
      answers.push(normalized(res.body, did.number));
    }
    t.equal(answers[1], answers[0], "an assigned, tagged number answers exactly as an unassigned one");
    t.equal(answers[2], answers[0], "and as an archived one");
    const skipped = await resellerA.inject({ method: "POST", url: "/dids/new", ...form({ numbers: `${assigned!.number}\n15550000099`, operator: String(opA.id), skip_existing: "1" }) });
    t.equal(skipped.statusCode, 303, "with skip ticked, the rest is created");
    t.equal((await db.did.findUniqueOrThrow({ where: { number: assigned!.number } })).operatorId, opB.id, "the other reseller's number is untouched");
  });

  t.test("by ID, another reseller's rows answer as rows that do not exist", async (t) => {
    const missing = 999_999;
    const pairs: [string, string][] = [
      [`/dids/${assigned!.id}`, `/dids/${missing}`],
      [`/dids/${assigned!.id}/edit`, `/dids/${missing}/edit`],
      [`/dids/${assigned!.id}/delete`, `/dids/${missing}/delete`],
      [`/dids?operator=${opB.id}`, `/dids?operator=${missing}`],
      [`/dids?reseller=${b.id}`, `/dids?reseller=${missing}`],
      [`/dids?client=${accountB.clientId}`, `/dids?client=${missing}`],
      [`/dids?batch=${batchB}`, `/dids?batch=${missing}`],
      [`/dids?id=${assigned!.id}`, `/dids?id=${missing}`],
      [`/operators?reseller=${b.id}`, `/operators?reseller=${missing}`],
      [`/operators/${opB.id}/delete`, `/operators/${missing}/delete`],
      [`/packages?reseller=${b.id}`, `/packages?reseller=${missing}`],
      [`/packages/${packageB.id}/edit`, `/packages/${missing}/edit`],
      [`/packages/${packageB.id}/delete`, `/packages/${missing}/delete`],
      [`/clients?reseller=${b.id}`, `/clients?reseller=${missing}`],
      [`/clients/${accountB.clientId}`, `/clients/${missing}`],
      [`/clients/${accountB.clientId}/edit`, `/clients/${missing}/edit`],
      [`/clients/${accountB.clientId}/delete`, `/clients/${missing}/delete`],
      [`/clients/${accountB.clientId}/accounts/${accountB.id}/edit`, `/clients/${missing}/accounts/${missing}/edit`],
      [`/clients/${accountB.clientId}/accounts/${accountB.id}/delete`, `/clients/${missing}/accounts/${missing}/delete`],
    ];
    for (const [foreign, absent] of pairs) {
      const [x, y] = [await resellerA.inject({ url: foreign }), await resellerA.inject({ url: absent })];
      t.equal(x.statusCode, y.statusCode, `${foreign}: the same status as ${absent}`);
      t.equal(normalized(x.body, ...foreign.match(/\d+/g)!), normalized(y.body, missing), `${foreign}: the same page`);
      t.notMatch(x.body, secrets);
    }
    // Their account under one of our own clients is no account of it either.
    const [x, y] = [
      await resellerA.inject({ url: `/clients/${ownAccount.clientId}/accounts/${accountB.id}/edit` }),
      await resellerA.inject({ url: `/clients/${ownAccount.clientId}/accounts/${missing}/edit` }),
    ];
    t.equal(x.statusCode, 404);
    t.equal(normalized(x.body, accountB.id), normalized(y.body, missing), "their account under our client: the same page");
    const writes: [string, Record<string, string>][] = [
      [`/dids/%ID%/edit`, { operator: String(opA.id), status: "in_stock", after_hold: "in_stock", hold_days: "0" }],
      [`/dids/%ID%/delete`, {}],
    ];
    for (const [url, fields] of writes) {
      const x = await resellerA.inject({ method: "POST", url: url.replace("%ID%", String(archived!.id)), ...form(fields) });
      const y = await resellerA.inject({ method: "POST", url: url.replace("%ID%", String(missing)), ...form(fields) });
      t.equal(x.statusCode, 404, url);
      t.equal(normalized(x.body, archived!.id), normalized(y.body, missing));
    }
    const packageFields = { name: "Anything", did_limit: "1", allowed_tags: "", default_hold_days: "0" };
    for (const url of ["/packages/%ID%/edit", "/packages/%ID%/delete"]) {
      const x = await resellerA.inject({ method: "POST", url: url.replace("%ID%", String(packageB.id)), ...form(packageFields) });
      const y = await resellerA.inject({ method: "POST", url: url.replace("%ID%", String(missing)), ...form(packageFields) });
      t.equal(x.statusCode, 404, url);
      t.equal(normalized(x.body, packageB.id), normalized(y.body, missing));
      t.notMatch(x.body, secrets);
    }
    t.match(await db.package.findUniqueOrThrow({ where: { id: packageB.id } }), { name: "Secret package", didLimit: 5 }, "their package is untouched");
    const pkg = await resellerA.inject({ method: "POST", url: "/packages/new", ...form({ ...packageFields, reseller: String(b.id) }) });
    const pkgNowhere = await resellerA.inject({ method: "POST", url: "/packages/new", ...form({ ...packageFields, reseller: String(missing) }) });
    t.equal(pkg.statusCode, 422);
    t.equal(normalized(pkg.body, b.id), normalized(pkgNowhere.body, missing), "naming their reseller in the package form is like naming none");
    const clientWrites: [string, string, Record<string, string>][] = [
      [`/clients/${accountB.clientId}/edit`, `/clients/${missing}/edit`, { name: "Taken over" }],
      [`/clients/${accountB.clientId}/delete`, `/clients/${missing}/delete`, {}],
      [`/clients/${accountB.clientId}/accounts`, `/clients/${missing}/accounts`, { name: "Planted" }],
      [`/clients/${accountB.clientId}/accounts/${accountB.id}/edit`, `/clients/${missing}/accounts/${missing}/edit`, { name: "Renamed" }],
      [`/clients/${accountB.clientId}/accounts/${accountB.id}/delete`, `/clients/${missing}/accounts/${missing}/delete`, {}],
    ];
    for (const [foreign, absent, fields] of clientWrites) {
      const x = await resellerA.inject({ method: "POST", url: foreign, ...form(fields) });
      const y = await resellerA.inject({ method: "POST", url: absent, ...form(fields) });
      t.equal(x.statusCode, 404, foreign);
      t.equal(normalized(x.body, ...foreign.match(/\d+/g)!), normalized(y.body, missing), `${foreign}: the same page`);
    }
    const client = await resellerA.inject({ method: "POST", url: "/clients/new", ...form({ name: "Anything", reseller: String(b.id) }) });
    const noClient = await resellerA.inject({ method: "POST", url: "/clients/new", ...form({ name: "Anything", reseller: String(missing) }) });
    t.equal(client.statusCode, 422);
    t.equal(normalized(client.body, b.id), normalized(noClient.body, missing), "naming their reseller in the client form is like naming none");
    const stillB = await db.client.findUniqueOrThrow({ where: { id: accountB.clientId }, include: { accounts: true } });
    t.same([stillB.name, stillB.accounts.map((a) => a.name)], ["Client B", ["Secret account"]], "their client is untouched");
    const operator = await resellerA.inject({ method: "POST", url: "/operators/new", ...form({ name: "Anything", reseller: String(b.id) }) });
    const nowhere = await resellerA.inject({ method: "POST", url: "/operators/new", ...form({ name: "Anything", reseller: String(missing) }) });
    t.equal(operator.statusCode, 422);
    t.equal(normalized(operator.body, b.id), normalized(nowhere.body, missing), "naming their reseller in a form is like naming none");
    t.equal((await db.did.findUniqueOrThrow({ where: { id: archived!.id } })).status, "archive", "nothing changed");
  });

  t.test("searches and lists hold only their own", async (t) => {
    const own = new Set([ownDid.number, "15550000099"]);
    for (const url of ["/dids?contains=1555000000", "/dids?prefix=1555", "/dids?tag=vip-tag", "/dids?notes=private", "/dids?status=active", "/dids?from=15550000000&to=15550000099"]) {
      const res = await resellerA.inject({ url });
      t.equal(res.statusCode, 200, url);
      t.ok(tableRows(html(res.body)).every((row) => own.has(row[3]!)), `${url}: only their own rows`);
      // The search form shows what was typed; nothing else may name the other reseller's data.
      t.notMatch(normalized(res.body, ...new URLSearchParams(url.split("?")[1]).values()), secrets, `${url}: nothing but the typed search`);
    }
    t.same(tableRows(html((await resellerA.inject({ url: "/dids" })).body)).map((row) => row[3]), [ownDid.number, "15550000099"].sort());
    for (const url of ["/operators", "/resellers", "/packages", "/packages?q=Secret"]) t.notMatch((await resellerA.inject({ url })).body, /Reseller B|Operator B|Secret package/, url);
    for (const url of ["/operators", "/resellers", "/clients"]) t.notMatch((await resellerA.inject({ url })).body, secrets, url);
    for (const url of ["/clients?q=client", "/clients/suggest?q=client", "/dids?client_name=client", "/dids?client_name=secret"]) {
      const res = await resellerA.inject({ url });
      t.equal(res.statusCode, 200, url);
      t.notMatch(normalized(res.body, ...new URLSearchParams(url.split("?")[1]).values()), secrets, `${url}: nothing of theirs`);
    }
    t.same(tableRows(html((await resellerA.inject({ url: "/dids?client_name=client" })).body)).map((row) => row[3]), [ownDid.number], "a client name finds only their own DIDs");
  });
});
