// Every change to operators, resellers and users, and every sign-in, writes its audit
// events in the transaction of the change; a refused change writes none.
import t, { type Test } from "tap";
import { createPrismaClient } from "../../src/db/prisma.js";
import { ensureFirstAdmin } from "../../src/modules/users/users.service.js";
import { expectAuditEvents } from "../helpers/audit.js";
import { buildTestApp, createTestDatabase, form, html, signIn, testPassword } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller, makeUser } from "../helpers/factories.js";

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/** A sign-in through the real form, from `remoteAddress`, with `headers` (X-Forwarded-For). */
async function signInAttempt(app: TestApp["app"], fields: { username: string; password: string }, remoteAddress = "10.1.2.3", headers: Record<string, string> = {}) {
  const page = await app.inject({ url: "/signin" });
  const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
  const token = html(page.body).querySelector('input[name="_csrf"]')!.getAttribute("value")!;
  const { payload, headers: formHeaders } = form({ _csrf: token, ...fields });
  return app.inject({ method: "POST", url: "/signin", payload, headers: { ...formHeaders, ...headers }, cookies, remoteAddress });
}

t.test("operators and resellers", async (t) => {
  const { app, db, admin } = await buildTestApp(t);
  const adminUser = await db.user.findFirstOrThrow({ where: { username: admin.username } });
  const post = (url: string, fields: Record<string, string>) => admin.inject({ method: "POST", url, ...form(fields) });

  t.test("reseller create", async (t) => {
    const { result, events } = await expectAuditEvents(t, db, () => post("/resellers", { name: "Audit Telecom" }), [
      { action: "create", objectType: "reseller", label: "Audit Telecom", actorId: adminUser.id, actorName: admin.username, changes: { name: [null, "Audit Telecom"] } },
    ]);
    t.equal(result.statusCode, 303);
    const reseller = await db.reseller.findFirstOrThrow({ where: { name: "Audit Telecom" } });
    t.match(events[0], { objectId: reseller.id, resellerId: reseller.id });
    await expectAuditEvents(t, db, () => post("/resellers", { name: "audit telecom" }), 0, "a taken name (422) writes nothing");
    await expectAuditEvents(t, db, () => post("/resellers", { name: "" }), 0, "an empty name (422) writes nothing");
  });

  t.test("operator create and delete", async (t) => {
    const reseller = await makeReseller(db, "Operator Home");
    const { result, events } = await expectAuditEvents(t, db, () => post("/operators/new", { name: " Carrier One ", reseller: String(reseller.id) }), [
      {
        action: "create",
        objectType: "operator",
        label: "Carrier One",
        actorName: admin.username,
        resellerId: reseller.id,
        changes: { name: [null, "Carrier One"], reseller: [null, "Operator Home"] },
      },
    ]);
    t.equal(result.statusCode, 303);
    const operator = await db.operator.findFirstOrThrow({ where: { name: "Carrier One" } });
    t.equal(events[0]!.objectId, operator.id);
    t.same(Object.keys(events[0]!.changes ?? {}).sort(), ["name", "reseller"]);

    await expectAuditEvents(t, db, () => post("/operators/new", { name: "", reseller: String(reseller.id) }), 0, "a missing name (422) writes nothing");
    await expectAuditEvents(t, db, () => post("/operators/new", { name: "carrier one", reseller: String(reseller.id) }), 0, "a taken name (422) writes nothing");
    await expectAuditEvents(t, db, () => post("/operators/new", { name: "Carrier Two", reseller: "999999" }), 0, "an unknown reseller (422) writes nothing");

    const busy = await makeOperator(db, { resellerId: reseller.id, name: "Busy" });
    await makeDids(db, busy.id, ["380440000001"]);
    const refused = await expectAuditEvents(t, db, () => post(`/operators/${busy.id}/delete`, {}), 0, "an operator with DIDs (409) writes nothing");
    t.equal(refused.result.statusCode, 409);

    const deleted = await expectAuditEvents(t, db, () => post(`/operators/${operator.id}/delete`, {}), [
      {
        action: "delete",
        objectType: "operator",
        objectId: operator.id,
        label: "Carrier One",
        actorName: admin.username,
        resellerId: reseller.id,
        changes: { name: ["Carrier One", null], reseller: ["Operator Home", null] },
      },
    ]);
    t.equal(deleted.result.statusCode, 303);
    await expectAuditEvents(t, db, () => post(`/operators/${operator.id}/delete`, {}), 0, "deleting it again (404) writes nothing");
  });

  t.test("a reseller's user: the events carry the user and the reseller", async (t) => {
    const reseller = await makeReseller(db, "Scoped Home");
    const user = await makeUser(db, { username: "scoped.ops", role: "reseller", resellerId: reseller.id });
    const browser = await signIn(app, "scoped.ops");
    await expectAuditEvents(t, db, () => browser.inject({ method: "POST", url: "/operators/new", ...form({ name: "Own Carrier", reseller: String(reseller.id) }) }), [
      { action: "create", objectType: "operator", actorId: user.id, actorName: "scoped.ops", resellerId: reseller.id, label: "Own Carrier" },
    ]);
  });
});

t.test("users", async (t) => {
  const { app, db, admin } = await buildTestApp(t);
  const adminUser = await db.user.findFirstOrThrow({ where: { username: admin.username } });
  const acme = await makeReseller(db, "Acme");
  const other = await makeReseller(db, "Other");
  const post = (url: string, fields: Record<string, string>) => admin.inject({ method: "POST", url, ...form(fields) });

  t.test("create", async (t) => {
    const { result, events } = await expectAuditEvents(t, db, () => post("/users/new", { username: "acme.ops", role: "reseller", reseller: String(acme.id), password: "acme ops password" }), [
      {
        action: "create",
        objectType: "user",
        label: "acme.ops",
        actorId: adminUser.id,
        actorName: admin.username,
        resellerId: acme.id,
        changes: { username: [null, "acme.ops"], role: [null, "reseller"], reseller: [null, "Acme"] },
      },
    ]);
    t.equal(result.statusCode, 303);
    const user = await db.user.findFirstOrThrow({ where: { username: "acme.ops" } });
    t.equal(events[0]!.objectId, user.id);
    t.notMatch(JSON.stringify({ ...events[0], id: undefined }), /acme ops password|argon2/, "no password or hash in the event");

    const desk = await expectAuditEvents(t, db, () => post("/users/new", { username: "desk", role: "support", password: "a support password" }), [
      { action: "create", objectType: "user", label: "desk", resellerId: null },
    ]);
    t.same(desk.events[0]!.changes, { username: [null, "desk"], role: [null, "support"] }, "no reseller: nothing to say about it");

    await expectAuditEvents(t, db, () => post("/users/new", { username: "x y", role: "support", password: "long enough pass" }), 0, "a bad username (422) writes nothing");
    await expectAuditEvents(t, db, () => post("/users/new", { username: "newbie", role: "support", password: "short" }), 0, "a short password (422) writes nothing");
    await expectAuditEvents(t, db, () => post("/users/new", { username: "ACME.OPS", role: "support", password: "long enough pass" }), 0, "a taken username (422) writes nothing");
    await expectAuditEvents(t, db, () => post("/users/new", { username: "newbie", role: "reseller", reseller: "999999", password: "long enough pass" }), 0, "an unknown reseller (422) writes nothing");
  });

  t.test("update: role_change when the role changes, else edit; nothing when nothing changes", async (t) => {
    const user = await db.user.findFirstOrThrow({ where: { username: "acme.ops" } });
    const changed = await expectAuditEvents(t, db, () => post(`/users/${user.id}/edit`, { role: "support", reseller: String(other.id) }), [
      { action: "role_change", objectType: "user", objectId: user.id, label: "acme.ops", actorName: admin.username, resellerId: other.id, changes: { role: ["reseller", "support"], reseller: ["Acme", "Other"] } },
    ]);
    t.equal(changed.result.statusCode, 303);
    t.same(Object.keys(changed.events[0]!.changes ?? {}).sort(), ["reseller", "role"]);

    await expectAuditEvents(t, db, () => post(`/users/${user.id}/edit`, { role: "support", reseller: String(other.id), disabled: "1" }), [
      { action: "edit", objectType: "user", objectId: user.id, label: "acme.ops", resellerId: other.id, changes: { disabled: [false, true] } },
    ]);
    await expectAuditEvents(t, db, () => post(`/users/${user.id}/edit`, { role: "support", reseller: String(other.id), disabled: "1" }), 0, "saving unchanged writes nothing");
    await expectAuditEvents(t, db, () => post(`/users/${user.id}/edit`, { role: "admin", reseller: String(other.id) }), [
      { action: "role_change", objectId: user.id, resellerId: null, changes: { role: ["support", "admin"], reseller: ["Other", null], disabled: [true, false] } },
    ]);

    await expectAuditEvents(t, db, () => post(`/users/${user.id}/edit`, { role: "reseller", reseller: "" }), 0, "a missing reseller (422) writes nothing");
    await expectAuditEvents(t, db, () => post(`/users/${user.id}/edit`, { role: "reseller", reseller: "999999" }), 0, "an unknown reseller (422) writes nothing");
    const self = await expectAuditEvents(t, db, () => post(`/users/${adminUser.id}/edit`, { role: "support" }), 0, "demoting oneself (422) writes nothing");
    t.equal(self.result.statusCode, 422);
    await expectAuditEvents(t, db, () => post("/users/999999/edit", { role: "support" }), 0, "an unknown user (404) writes nothing");
  });

  t.test("password reset by an admin", async (t) => {
    const user = await db.user.findFirstOrThrow({ where: { username: "desk" } });
    const { result, events } = await expectAuditEvents(t, db, () => post(`/users/${user.id}/password`, { password: "a fresh password" }), [
      { action: "password_reset", objectType: "user", objectId: user.id, label: "desk", actorName: admin.username, resellerId: null },
    ]);
    t.equal(result.statusCode, 303);
    t.equal(events[0]!.changes, null, "no changes: never a password or its hash");
    await expectAuditEvents(t, db, () => post(`/users/${user.id}/password`, { password: "short" }), 0, "a short password (422) writes nothing");
    await expectAuditEvents(t, db, () => post("/users/999999/password", { password: "a fresh password" }), 0, "an unknown user (404) writes nothing");
  });

  t.test("own password change", async (t) => {
    const user = await makeUser(db, { username: "changer", role: "reseller", resellerId: acme.id });
    const browser = await signIn(app, "changer");
    const change = (fields: Record<string, string>) => browser.inject({ method: "POST", url: "/account/password", ...form(fields) });
    await expectAuditEvents(t, db, () => change({ current: "not it at all", password: "my new password", repeat: "my new password" }), 0, "a wrong current password (422) writes nothing");
    await expectAuditEvents(t, db, () => change({ current: testPassword, password: "my new password", repeat: "different" }), 0, "new passwords that differ (422) write nothing");
    const { result, events } = await expectAuditEvents(t, db, () => change({ current: testPassword, password: "my new password", repeat: "my new password" }), [
      { action: "password_change", objectType: "user", objectId: user.id, label: "changer", actorId: user.id, actorName: "changer", resellerId: acme.id },
    ]);
    t.equal(result.statusCode, 303);
    t.equal(events[0]!.changes, null, "no changes: never a password or its hash");
  });
});

t.test("signing in", async (t) => {
  const { app, db } = await buildTestApp(t, { signInFailuresPerUsernameAndIp: 1000, signInFailuresPerIp: 1000, signInFailuresPerUsername: 1000 });
  const reseller = await makeReseller(db, "Sign-in Home");
  const pat = await makeUser(db, { username: "pat", role: "reseller", resellerId: reseller.id });

  t.test("success: sign_in by the user, with the client address", async (t) => {
    const { result } = await expectAuditEvents(t, db, () => signInAttempt(app, { username: "PAT", password: testPassword }, "10.1.2.3"), [
      { action: "sign_in", objectType: "user", objectId: pat.id, label: "pat", actorId: pat.id, actorName: "pat", resellerId: reseller.id, changes: { ip: [null, "10.1.2.3"] } },
    ]);
    t.equal(result.statusCode, 303);
  });

  t.test("a wrong password: sign_in_failed with no actor, the user as object", async (t) => {
    const { result, events } = await expectAuditEvents(t, db, () => signInAttempt(app, { username: "pat", password: "not the password" }, "10.1.2.4"), [
      { action: "sign_in_failed", objectType: "user", objectId: pat.id, label: "pat", actorId: null, actorName: null, resellerId: reseller.id, changes: { ip: [null, "10.1.2.4"], reason: [null, "wrong password"] } },
    ]);
    t.equal(result.statusCode, 401);
    t.notMatch(JSON.stringify({ ...events[0], id: undefined }), /not the password/, "the password typed is not recorded");
  });

  t.test("an unknown username: no object, and what was typed is not kept (it may be a password)", async (t) => {
    const { events } = await expectAuditEvents(t, db, () => signInAttempt(app, { username: " my secret pass ", password: "whatever it is" }, "10.1.2.5"), [
      { action: "sign_in_failed", objectType: "user", objectId: null, label: "(unknown username)", actorId: null, actorName: null, resellerId: null, changes: { ip: [null, "10.1.2.5"], reason: [null, "unknown username"] } },
    ]);
    t.notMatch(JSON.stringify({ ...events[0], id: undefined }), /secret/, "the typed name is nowhere in the event");
    await expectAuditEvents(t, db, () => signInAttempt(app, { username: "", password: "" }), [{ action: "sign_in_failed", objectId: null, label: "(no username)" }]);
  });

  t.test("a disabled user with the right password: sign_in_failed", async (t) => {
    const gone = await makeUser(db, { username: "gone", role: "support" });
    await db.user.update({ where: { id: gone.id }, data: { disabled: true } });
    const { result } = await expectAuditEvents(t, db, () => signInAttempt(app, { username: "gone", password: testPassword }), [
      { action: "sign_in_failed", objectType: "user", objectId: gone.id, label: "gone", actorId: null, actorName: null, changes: { reason: [null, "disabled"] } },
    ]);
    t.equal(result.statusCode, 401);
  });

  t.test("sign-out writes nothing", async (t) => {
    const browser = await signIn(app, "pat");
    await expectAuditEvents(t, db, () => browser.inject({ method: "POST", url: "/signout" }), 0);
  });
});

t.test("sign-in attempts refused by the rate limit are not recorded", async (t) => {
  const { app, db } = await buildTestApp(t, { signInFailuresPerUsernameAndIp: 2, signInFailuresPerIp: 100, signInFailuresPerUsername: 100 });
  await makeUser(db, { username: "kim", role: "support" });
  for (let i = 0; i < 2; i++) await expectAuditEvents(t, db, () => signInAttempt(app, { username: "kim", password: "guess number one" }), [{ action: "sign_in_failed" }]);
  const { result } = await expectAuditEvents(t, db, () => signInAttempt(app, { username: "kim", password: "guess number one" }), 0);
  t.equal(result.statusCode, 429);
});

t.test("behind a proxy, the client address comes from X-Forwarded-For", async (t) => {
  const { app, db } = await buildTestApp(t, { trustProxy: 1 });
  await makeUser(db, { username: "lee", role: "support" });
  await expectAuditEvents(t, db, () => signInAttempt(app, { username: "lee", password: testPassword }, "10.0.0.1", { "x-forwarded-for": "203.0.113.7" }), [
    { action: "sign_in", changes: { ip: [null, "203.0.113.7"] } },
  ]);
});

t.test("the first admin is created by the system", async (t: Test) => {
  const db = createPrismaClient(await createTestDatabase(t), 2);
  t.teardown(() => db.$disconnect());
  const { result, events } = await expectAuditEvents(t, db, () => ensureFirstAdmin(db), [
    { action: "create", objectType: "user", label: "admin", actorId: null, actorName: "system", resellerId: null, changes: { username: [null, "admin"], role: [null, "admin"] } },
  ]);
  t.ok(result);
  const admin = await db.user.findFirstOrThrow({ where: { username: "admin" } });
  t.equal(events[0]!.objectId, admin.id);
  await expectAuditEvents(t, db, () => ensureFirstAdmin(db), 0, "not again");
});
