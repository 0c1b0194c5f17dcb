// Requests of the wrong shape: a multipart body sent to a form route, a URL longer than
// the server reads, bytes that are not valid %-encoded UTF-8. Each gets a clear HTML
// answer (never Fastify's JSON, never a half-read form) and nothing is written.
import http from "node:http";
import t from "tap";
import { buildTestApp, html, text } from "../helpers/app.js";
import { makeDids, makeOperator } from "../helpers/factories.js";
import { parseFormEncoded, UndecodableText } from "../../src/shared/form-encoding.js";

t.test("form bodies and query strings are decoded strictly", async (t) => {
  const fields = parseFormEncoded("a=1&b=x+y%21&a=2&c&__proto__=p&constructor=c&bad=%FF%FE&worse=%zz&%FF=lost&ok=%E2%9C%93");
  t.same(fields.a, ["1", "2"], "a repeated field is a list");
  t.equal(fields.b, "x y!");
  t.equal(fields.c, "");
  t.equal(fields.__proto__, "p", "__proto__ is only a field");
  t.equal(fields.constructor, "c");
  t.ok(fields.bad instanceof UndecodableText, "%FF%FE is not UTF-8");
  t.ok(fields.worse instanceof UndecodableText, "%zz is not an escape");
  t.equal(fields.ok, "✓");
  t.notOk(Object.keys(fields).some((k) => k.includes("lost") || k.includes("%")), "an undecodable name is dropped");
});

t.test("requests of the wrong shape", async (t) => {
  const { db, admin } = await buildTestApp(t);
  const op = await makeOperator(db, { name: "Shape Telecom" });
  const [did] = await makeDids(db, op.id, ["380441110000"], { notes: "kept" });

  t.test("a multipart body to a form route: 415 with a page that says so", async (t) => {
    const boundary = "----shape";
    const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const payload = part("_csrf", admin.csrfToken) + part("name", "Multipart Telecom") + part("reseller", String(op.resellerId)) + `--${boundary}--\r\n`;
    for (const url of ["/operators/new", "/dids/new", `/dids/${did!.id}/edit`, "/resellers"]) {
      const res = await admin.inject({ method: "POST", url, payload, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } });
      t.equal(res.statusCode, 415, url);
      t.match(res.headers["content-type"], /text\/html/);
      const page = html(res.body);
      t.equal(text(page.querySelector("h1")), "Unsupported content");
      t.match(text(page.querySelector(".error-box")), /ordinary web form/);
      t.notMatch(res.body, /Form expired|is required/, "not mistaken for an empty form");
    }
    t.equal(await db.operator.count({ where: { name: "Multipart Telecom" } }), 0, "nothing written");
  });

  t.test("invalid %-encodings are refused at their field", async (t) => {
    const raw = (payload: string) => ({ payload: `${payload}&_csrf=${encodeURIComponent(admin.csrfToken)}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const created = await admin.inject({ method: "POST", url: "/operators/new", ...raw(`name=%FF%FE&reseller=${op.resellerId}`) });
    t.equal(created.statusCode, 422);
    t.match(text(html(created.body).querySelector("#name-error")), /not valid text/);
    t.equal(await db.operator.count(), 1, "no operator named %FF%FE");

    const edited = await admin.inject({ method: "POST", url: `/dids/${did!.id}/edit`, ...raw(`operator=${op.id}&status=in_stock&after_hold=in_stock&hold_days=0&notes=%FF%FE`) });
    t.equal(edited.statusCode, 422);
    t.match(text(html(edited.body).querySelector("#notes-error")), /not valid text/);
    t.equal((await db.did.findUniqueOrThrow({ where: { id: did!.id } })).notes, "kept", "the notes are unchanged");

    const numbers = await admin.inject({ method: "POST", url: "/dids/new", ...raw(`numbers=380441110001%zz&operator=${op.id}`) });
    t.equal(numbers.statusCode, 422);
    t.match(text(html(numbers.body).querySelector("#numbers-error")), /not valid text/);

    for (const [query, field] of [["notes=%FF%FE", "notes"], ["contains=%zz", "contains"], ["status=%C0%AF", "status"], ["tag=%E2%9C", "tag"]] as const) {
      const res = await admin.inject({ url: `/dids?${query}` });
      t.equal(res.statusCode, 400, query);
      t.match(text(html(res.body).querySelector(`#${field}-error`)), /not valid text/, `${query}: the message is at the field`);
    }
  });
});

t.test("a URL longer than the server reads gets the app's HTML error page", async (t) => {
  const { app } = await buildTestApp(t);
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as { port: number };
  const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: `/dids?notes=${"x".repeat(20_000)}` }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
  });
  t.equal(answer.status, 431);
  t.match(answer.type, /text\/html/);
  const page = html(answer.body);
  t.equal(text(page.querySelector("h1")), "Address too long");
  t.match(text(page.querySelector(".error-box")), /Shorten the search/);
  t.ok(page.querySelector('link[rel="stylesheet"]'), "styled like every other page");
  t.notMatch(answer.body, /"statusCode"/, "not Fastify's JSON");
});
