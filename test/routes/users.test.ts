// The Users page: create, change role and reseller, disable, reset password; and the
// guards that keep at least one admin.
import t from "tap";
import { buildTestApp, form, html, signIn, tableRows, text } from "../helpers/app.js";

t.test("users", async (t) => {
  const { app, db, admin } = await buildTestApp(t);
  const acme = await db.reseller.create({ data: { name: "Acme" } });
  const post = (url: string, fields: Record<string, string>) => admin.inject({ method: "POST", url, ...form(fields) });

  t.test("create, then the user signs in with the scope given", async (t) => {
    const res = await post("/users/new", { username: "acme.ops", role: "reseller", reseller: String(acme.id), password: "acme ops password" });
    t.equal(res.statusCode, 303);
    const rows = tableRows(html((await admin.inject({ url: "/users" })).body));
    t.same(rows.find((r) => r[0] === "acme.ops"), ["acme.ops", "reseller", "Acme", "Active", "never"]);
    const user = await signIn(app, "acme.ops", "acme ops password");
    t.equal((await user.inject({ url: "/dids" })).statusCode, 200);
    t.equal((await user.inject({ url: "/users" })).statusCode, 404, "no Users page for them");
    const stored = await db.user.findFirstOrThrow({ where: { username: "acme.ops" } });
    t.match(stored.passwordHash, /^\$argon2id\$/, "stored as an argon2id hash");
  });

  t.test("bad input: 422 at the field, nothing written", async (t) => {
    const before = await db.user.count();
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ username: "", role: "support", password: "long enough pass" }, "username", /required/],
      [{ username: "a b", role: "support", password: "long enough pass" }, "username", /letters, digits/],
      [{ username: "<script>", role: "support", password: "long enough pass" }, "username", /letters, digits/],
      [{ username: "ACME.OPS", role: "support", password: "long enough pass" }, "username", /taken/],
      [{ username: "newbie", role: "root", password: "long enough pass" }, "role", /not a valid role/],
      [{ username: "newbie", role: "reseller", password: "long enough pass" }, "reseller", /Choose a reseller/],
      [{ username: "newbie", role: "reseller", reseller: "99999", password: "long enough pass" }, "reseller", /does not exist/],
      [{ username: "newbie", role: "support", password: "short" }, "password", /at least 10/],
      [{ username: "newbie", role: "support", password: "x".repeat(201) }, "password", /at most 200/],
    ];
    for (const [fields, field, message] of cases) {
      const res = await post("/users/new", fields);
      t.equal(res.statusCode, 422, JSON.stringify(fields).slice(0, 60));
      t.match(text(html(res.body).querySelector(`#${field}-error`)), message);
    }
    t.equal(await db.user.count(), before);
  });

  t.test("change role and reseller; an admin has no reseller", async (t) => {
    const user = await db.user.findFirstOrThrow({ where: { username: "acme.ops" } });
    t.equal((await post(`/users/${user.id}/edit`, { role: "support", reseller: String(acme.id) })).statusCode, 303);
    t.match(await db.user.findUniqueOrThrow({ where: { id: user.id } }), { role: "support", resellerId: acme.id });
    t.equal((await post(`/users/${user.id}/edit`, { role: "admin", reseller: String(acme.id) })).statusCode, 303);
    t.match(await db.user.findUniqueOrThrow({ where: { id: user.id } }), { role: "admin", resellerId: null });
    t.equal((await post(`/users/${user.id}/edit`, { role: "reseller", reseller: "" })).statusCode, 422);
  });

  t.test("reset a password: the user's sessions end", async (t) => {
    const user = await db.user.findFirstOrThrow({ where: { username: "acme.ops" } });
    const session = await signIn(app, "acme.ops", "acme ops password");
    t.equal((await post(`/users/${user.id}/password`, { password: "short" })).statusCode, 422);
    t.equal((await post(`/users/${user.id}/password`, { password: "a fresh password" })).statusCode, 303);
    t.equal((await session.inject({ url: "/dids" })).statusCode, 303);
    t.ok(await signIn(app, "acme.ops", "a fresh password"));
  });

  t.test("the last admin stays an admin, and nobody disables themselves", async (t) => {
    const me = await db.user.findFirstOrThrow({ where: { username: "admin" } });
    const self = await post(`/users/${me.id}/edit`, { role: "admin", disabled: "1" });
    t.equal(self.statusCode, 422);
    t.match(text(html(self.body).querySelector("#disabled-error")), /cannot take away your own admin access/);
    const other = await db.user.findFirstOrThrow({ where: { username: "acme.ops" } });
    t.equal((await post(`/users/${other.id}/edit`, { role: "support" })).statusCode, 303, "demoting another admin is fine while one remains");
    t.equal(await db.user.count({ where: { role: "admin", disabled: false } }), 1);
  });

  t.test("unknown and bad user IDs", async (t) => {
    t.equal((await admin.inject({ url: "/users/999999/edit" })).statusCode, 404);
    t.equal((await admin.inject({ url: "/users/abc/edit" })).statusCode, 400);
    t.equal((await post("/users/999999/edit", { role: "support" })).statusCode, 404);
    t.equal((await post("/users/999999/password", { password: "a fresh password" })).statusCode, 404);
  });
});
