// Every state-changing request needs this browser's CSRF token: without one, or with the
// token of another session, it answers 403 and changes nothing.
import t from "tap";
import { buildTestApp, form, html, text } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator } from "../helpers/factories.js";

t.test("CSRF", async (t) => {
  const { db, admin, signInAs } = await buildTestApp(t);
  const other = await signInAs({ role: "admin", username: "other-admin" });
  const op = await makeOperator(db, { name: "Kyivstar" });
  const [did] = await makeDids(db, op.id, ["380441000001"]);
  const spare = await makeOperator(db, { name: "Spare", resellerId: op.resellerId });
  const user = await db.user.findFirstOrThrow({ where: { username: "other-admin" } });
  const account = await makeClientAccount(db, op.resellerId, { client: "Hotel", account: "Main" });
  const clientUrl = `/clients/${account.clientId}`;

  const posts: [string, Record<string, string>][] = [
    ["/dids/new", { numbers: "380449990000-380449990009", operator: String(op.id) }],
    [`/dids/${did!.id}/edit`, { operator: String(op.id), status: "archive", after_hold: "in_stock", hold_days: "0", tag: "changed" }],
    [`/dids/${did!.id}/delete`, {}],
    ["/operators/new", { name: "Vodafone", reseller: String(op.resellerId) }],
    [`/operators/${spare.id}/delete`, {}],
    ["/clients/new", { name: "New client", reseller: String(op.resellerId) }],
    [`${clientUrl}/edit`, { name: "Renamed", notes: "changed" }],
    [`${clientUrl}/accounts`, { name: "Second" }],
    [`${clientUrl}/accounts/${account.id}/edit`, { name: "Renamed" }],
    [`${clientUrl}/accounts/${account.id}/delete`, {}],
    [`${clientUrl}/delete`, {}],
    ["/resellers", { name: "New reseller" }],
    ["/users/new", { username: "someone", role: "support", password: "a long enough password" }],
    [`/users/${user.id}/edit`, { role: "support", disabled: "1" }],
    [`/users/${user.id}/password`, { password: "another long password" }],
    ["/account/password", { current: "correct horse battery", password: "brand new password", repeat: "brand new password" }],
    ["/signout", {}],
    ["/signin", { username: "admin", password: "correct horse battery" }],
  ];

  const snapshot = async () => ({
    dids: await db.did.findMany({ orderBy: { id: "asc" } }),
    operators: await db.operator.count(),
    clients: await db.client.findMany({ orderBy: { id: "asc" } }),
    accounts: await db.clientAccount.findMany({ orderBy: { id: "asc" } }),
    resellers: await db.reseller.count(),
    users: await db.user.findMany({ orderBy: { id: "asc" } }),
    sessions: await db.session.count(),
  });
  const before = await snapshot();

  for (const [url, fields] of posts) {
    const f = form(fields);
    const missing = await admin.inject({ method: "POST", url, payload: f.payload, headers: { ...f.headers, "x-csrf-token": "" } });
    t.equal(missing.statusCode, 403, `${url} without a token`);
    t.match(text(html(missing.body).querySelector("h1")), /Form expired/);
    const foreign = await admin.inject({ method: "POST", url, payload: f.payload, headers: { ...f.headers, "x-csrf-token": other.csrfToken } });
    t.equal(foreign.statusCode, 403, `${url} with another session's token`);
    const inBody = form({ ...fields, _csrf: other.csrfToken });
    const foreignField = await admin.inject({ method: "POST", url, payload: inBody.payload, headers: { ...inBody.headers, "x-csrf-token": "" } });
    t.equal(foreignField.statusCode, 403, `${url} with another session's token in the form`);
  }
  t.same(await snapshot(), before, "nothing changed");

  t.test("the right token, in the form or the htmx header, works", async (t) => {
    const viaField = form({ name: "Via field", reseller: String(op.resellerId), _csrf: admin.csrfToken });
    t.equal((await admin.inject({ method: "POST", url: "/operators/new", payload: viaField.payload, headers: { ...viaField.headers, "x-csrf-token": "" } })).statusCode, 303);
    t.equal((await admin.inject({ method: "POST", url: "/operators/new", ...form({ name: "Via header", reseller: String(op.resellerId) }) })).statusCode, 303);
  });

  t.test("pages carry the token for forms and for htmx", async (t) => {
    const doc = html((await admin.inject({ url: `/dids/${did!.id}/edit` })).body);
    t.ok(doc.querySelector('form[action$="/edit"] input[name="_csrf"]')?.getAttribute("value"), "a hidden field in the form");
    t.match(doc.querySelector("body")?.getAttribute("hx-headers"), /^\{"x-csrf-token":"[^"]+"\}$/, "a header for htmx, set once on <body>");
  });
});
