// Signing in and out, sessions and their ends, the way back to a bookmarked URL, rate
// limits, and the user's own password.
import { createHash } from "node:crypto";
import t from "tap";
import { buildTestApp, form, html, signIn, testPassword, text } from "../helpers/app.js";
import { makeUser } from "../helpers/factories.js";

type App = Awaited<ReturnType<typeof buildTestApp>>["app"];

/** The sign-in form's CSRF cookie and token, as a browser would have them. */
async function signInForm(app: App) {
  const page = await app.inject({ url: "/signin" });
  const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
  return { cookies, token: html(page.body).querySelector('input[name="_csrf"]')!.getAttribute("value")! };
}

async function attempt(app: App, fields: Record<string, string>, remoteAddress = "10.0.0.1") {
  const { cookies, token } = await signInForm(app);
  return app.inject({ method: "POST", url: "/signin", ...form({ _csrf: token, ...fields }), cookies, remoteAddress });
}

t.test("signing in", async (t) => {
  // Limits are tested on their own below; here they must not get in the way.
  const { app, db, signInAs } = await buildTestApp(t, { signInAttemptsPerUsername: 1000, signInAttemptsPerIp: 1000 });
  await signInAs({ role: "support", username: "helen" });

  t.test("a bookmarked URL survives the sign-in detour", async (t) => {
    const res = await app.inject({ url: "/dids?contains=555&status=active" });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, "/signin?next=%2Fdids%3Fcontains%3D555%26status%3Dactive");
    const page = html((await app.inject({ url: res.headers.location as string })).body);
    t.equal(page.querySelector('input[name="next"]')?.getAttribute("value"), "/dids?contains=555&status=active");
    const signedIn = await attempt(app, { username: "helen", password: testPassword, next: "/dids?contains=555&status=active" });
    t.equal(signedIn.statusCode, 303);
    t.equal(signedIn.headers.location, "/dids?contains=555&status=active");
  });

  t.test("the session cookie", async (t) => {
    const res = await attempt(app, { username: "HELEN", password: testPassword }, "10.0.0.2");
    t.equal(res.statusCode, 303, "usernames ignore case");
    const cookie = res.cookies.find((c) => c.name === "did_session")!;
    t.ok(cookie.httpOnly, "HttpOnly");
    t.equal(cookie.sameSite, "Lax");
    t.notOk(cookie.secure, "not Secure over plain HTTP");
    t.ok(cookie.value.length >= 40, "a long random token");
    const stored = await db.session.findMany({ select: { tokenHash: true } });
    t.ok(stored.some((s) => s.tokenHash === createHash("sha256").update(cookie.value).digest("hex")), "only its hash is stored");
    t.notOk(stored.some((s) => s.tokenHash === cookie.value));
  });

  t.test("where to go after sign-in is always a page of ours", async (t) => {
    for (const next of ["https://evil.example/", "//evil.example/x", "/signin?next=/signin", "javascript:alert(1)", ""]) {
      const res = await attempt(app, { username: "helen", password: testPassword, next }, "10.0.0.3");
      t.equal(res.headers.location, "/dids", `next=${next}`);
    }
  });

  t.test("a next that cannot be a header is encoded or dropped, never a 500", async (t) => {
    const helen = await signIn(app, "helen");
    const cases: [string, string][] = [["/dids%E2%9C%93", "/dids%E2%9C%93"], ["/d%0aids", "/d%0aids"], ["/dids?tag=✓", "/dids?tag=%E2%9C%93"]];
    for (const [next, location] of cases) {
      const res = await helen.inject({ url: `/signin?next=${encodeURIComponent(next)}` });
      t.equal(res.statusCode, 303, next);
      t.equal(res.headers.location, location);
    }
    const posted = await attempt(app, { username: "helen", password: testPassword, next: "/dids?tag=\u2713\n" }, "10.0.0.4");
    t.equal(posted.statusCode, 303);
    t.equal(posted.headers.location, "/dids?tag=%E2%9C%93");
  });

  t.test("wrong password and unknown user: the same answer", async (t) => {
    const wrong = await attempt(app, { username: "helen", password: "not the password" }, "10.0.1.1");
    const unknown = await attempt(app, { username: "nobody-here", password: "not the password" }, "10.0.1.2");
    for (const res of [wrong, unknown]) {
      t.equal(res.statusCode, 401);
      t.equal(text(html(res.body).querySelector("#signin-error")), "Wrong username or password.");
      t.notOk(res.cookies.some((c) => c.name === "did_session" && c.value), "no session");
    }
    t.equal(html(wrong.body).querySelector("#u-username")?.getAttribute("value"), "helen", "the username is kept");
    const time = async (username: string) => {
      const started = performance.now();
      await attempt(app, { username, password: "not the password" }, `10.0.2.${Math.floor(Math.random() * 200)}`);
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknownTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      await db.user.update({ where: { username: "helen" }, data: {} });
      known.push(await time(i % 2 ? "helen" : "HELEN"));
      unknownTimes.push(await time(`ghost${i}`));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(unknownTimes) / median(known);
    t.ok(ratio > 0.5 && ratio < 2, `an unknown username costs the same password check (ratio ${ratio.toFixed(2)})`);
  });

  t.test("a disabled user cannot sign in, and is told so only with the right password", async (t) => {
    await signInAs({ role: "support", username: "gone" });
    await db.user.update({ where: { username: "gone" }, data: { disabled: true } });
    const right = await attempt(app, { username: "gone", password: testPassword }, "10.0.3.1");
    t.equal(right.statusCode, 401);
    t.match(text(html(right.body).querySelector("#signin-error")), /disabled/);
    const wrong = await attempt(app, { username: "gone", password: "guess guess" }, "10.0.3.2");
    t.equal(text(html(wrong.body).querySelector("#signin-error")), "Wrong username or password.");
  });

});

t.test("sign-in limits", async (t) => {
  const { app, db } = await buildTestApp(t, { signInAttemptsPerUsername: 3, signInAttemptsPerIp: 8 });

  t.test("sign-in attempts are limited per username", async (t) => {
    await makeUser(db, { role: "support", username: "target" });
    for (let i = 0; i < 3; i++) t.equal((await attempt(app, { username: "target", password: `guess ${i}` }, `10.1.0.${i}`)).statusCode, 401);
    const limited = await attempt(app, { username: "target", password: testPassword }, "10.1.0.9");
    t.equal(limited.statusCode, 429, "even the right password waits now");
    t.match(text(html(limited.body).querySelector("#signin-error")), /Too many sign-in attempts\. Try again in \d+ minutes?\./);
    t.ok(Number(limited.headers["retry-after"]) > 0);
    const ghost = [];
    for (let i = 0; i < 4; i++) ghost.push((await attempt(app, { username: "no-such-user", password: `guess ${i}` }, `10.1.1.${i}`)).statusCode);
    t.same(ghost, [401, 401, 401, 429], "an unknown username is limited the same way");
    await makeUser(db, { role: "support", username: "bystander" });
    t.equal((await attempt(app, { username: "bystander", password: testPassword }, "10.1.0.10")).statusCode, 303, "other users are not affected");
  });

  t.test("sign-in attempts are limited per client IP", async (t) => {
    const codes = [];
    for (let i = 0; i < 9; i++) codes.push((await attempt(app, { username: `spray${i}`, password: "guess" }, "10.2.0.1")).statusCode);
    t.same(codes, [401, 401, 401, 401, 401, 401, 401, 401, 429]);
    await makeUser(db, { role: "support", username: "walker" });
    t.equal((await attempt(app, { username: "walker", password: testPassword }, "10.2.0.1")).statusCode, 429);
    t.equal((await attempt(app, { username: "walker", password: testPassword }, "10.2.0.2")).statusCode, 303, "another IP is not affected");
  });

  t.test("parallel guesses cannot slip past the counter", async (t) => {
    await makeUser(db, { role: "support", username: "burst" });
    const codes = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(app, { username: "burst", password: `guess ${i}` }, `10.3.0.${i}`)));
    t.equal(codes.filter((r) => r.statusCode === 401).length, 3, "only 3 passwords were checked");
    t.equal(codes.filter((r) => r.statusCode === 429).length, 9);
  });

  t.test("a username is one counter however it is spelled", async (t) => {
    await makeUser(db, { role: "support", username: "casey" });
    const codes = [];
    for (const name of ["casey", "CASEY", " Casey ", "cAsEy"]) codes.push((await attempt(app, { username: name, password: "guess" }, "10.4.0.1")).statusCode);
    t.same(codes, [401, 401, 401, 429]);
    const dotless = await attempt(app, { username: "cas\u0130y", password: testPassword }, "10.4.0.2");
    t.equal(dotless.statusCode, 401, "non-ASCII look-alikes are not usernames at all");
  });
});

t.test("sessions end", async (t) => {
  const { app, db, signInAs } = await buildTestApp(t, { sessionIdleMinutes: 30, sessionAbsoluteHours: 8 });

  t.test("signing out ends the session at once", async (t) => {
    const helen = await signInAs({ role: "support", username: "helen" });
    t.equal((await helen.inject({ url: "/dids" })).statusCode, 200);
    const out = await helen.inject({ method: "POST", url: "/signout" });
    t.equal(out.statusCode, 303);
    t.equal(out.headers.location, "/signin");
    t.ok(out.cookies.some((c) => c.name === "did_session" && c.value === ""), "the cookie is cleared");
    t.equal((await helen.inject({ url: "/dids" })).statusCode, 303, "the old cookie no longer works");
    t.equal(await db.session.count({ where: { user: { username: "helen" } } }), 0);
  });

  t.test("after the idle time", async (t) => {
    const idle = await signInAs({ role: "support", username: "idle" });
    await db.session.updateMany({ where: { user: { username: "idle" } }, data: { lastSeenAt: new Date(Date.now() - 31 * 60_000) } });
    const res = await idle.inject({ url: "/dids" });
    t.equal(res.statusCode, 303);
    t.match(res.headers.location, /^\/signin\?next=/);
    t.equal(await db.session.count({ where: { user: { username: "idle" } } }), 0, "and the row is gone");
  });

  t.test("activity keeps a session alive until its absolute end", async (t) => {
    const busy = await signInAs({ role: "support", username: "busy" });
    await db.session.updateMany({ where: { user: { username: "busy" } }, data: { lastSeenAt: new Date(Date.now() - 10 * 60_000) } });
    t.equal((await busy.inject({ url: "/dids" })).statusCode, 200);
    const touched = await db.session.findFirstOrThrow({ where: { user: { username: "busy" } } });
    t.ok(Date.now() - touched.lastSeenAt.getTime() < 60_000, "the request counted as activity");
    await db.session.updateMany({ where: { user: { username: "busy" } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    t.equal((await busy.inject({ url: "/dids" })).statusCode, 303, "past the absolute end it is over");
  });

  t.test("an htmx request with an expired session is sent to the sign-in page", async (t) => {
    const ann = await signInAs({ role: "support", username: "ann" });
    await db.session.deleteMany({ where: { user: { username: "ann" } } });
    const res = await ann.inject({ url: "/dids?contains=55", headers: { "hx-request": "true", "hx-current-url": "http://localhost/dids?tag=gold" } });
    t.equal(res.statusCode, 401);
    t.equal(res.headers["hx-redirect"], "/signin?next=%2Fdids%3Ftag%3Dgold", "back to the page the user is on");
    t.equal(res.body, "", "no sign-in form swapped into the table");
  });

  t.test("disabling a user ends their sessions at once", async (t) => {
    const { admin } = { admin: await signIn(app, "admin") };
    const bob = await signInAs({ role: "support", username: "bob" });
    const bobUser = await db.user.findFirstOrThrow({ where: { username: "bob" } });
    t.equal((await bob.inject({ url: "/dids" })).statusCode, 200);
    const res = await admin.inject({ method: "POST", url: `/users/${bobUser.id}/edit`, ...form({ role: "support", disabled: "1" }) });
    t.equal(res.statusCode, 303);
    t.equal((await bob.inject({ url: "/dids" })).statusCode, 303);
    t.equal(await db.session.count({ where: { userId: bobUser.id } }), 0);
  });
});

t.test("changing one's own password", async (t) => {
  const { app, db, signInAs } = await buildTestApp(t);
  const kim = await signInAs({ role: "reseller", username: "kim", resellerId: (await db.reseller.create({ data: { name: "R" } })).id });
  const elsewhere = await signIn(app, "kim");
  const change = (fields: Record<string, string>) => kim.inject({ method: "POST", url: "/account/password", ...form(fields) });
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ current: "wrong", password: "a brand new password", repeat: "a brand new password" }, "current", /not your current password/],
    [{ current: testPassword, password: "short", repeat: "short" }, "password", /at least 10/],
    [{ current: testPassword, password: "kim-is-my-password", repeat: "kim-is-my-password" }, "password", /must not contain the username/],
    [{ current: testPassword, password: "a brand new password", repeat: "a different one" }, "repeat", /differ/],
  ];
  for (const [fields, field, message] of cases) {
    const res = await change(fields);
    t.equal(res.statusCode, 422);
    t.match(text(html(res.body).querySelector(`#${field}-error`)), message);
  }
  const ok = await change({ current: testPassword, password: "a brand new password", repeat: "a brand new password" });
  t.equal(ok.statusCode, 303);
  t.equal((await kim.inject({ url: "/dids" })).statusCode, 200, "this session goes on");
  t.equal((await elsewhere.inject({ url: "/dids" })).statusCode, 303, "the other session is signed out");
  await t.rejects(signIn(app, "kim"), /401/, "the old password no longer works");
  t.ok(await signIn(app, "kim", "a brand new password"));
});

t.test("the session cookie is Secure over HTTPS, trusting a proxy only when configured", async (t) => {
  for (const [trustProxy, secure] of [[true, true], [false, false]] as const) {
    const { app, signInAs } = await buildTestApp(t, { trustProxy });
    await signInAs({ role: "support", username: "proxied" });
    const { cookies, token } = await signInForm(app);
    const res = await app.inject({
      method: "POST",
      url: "/signin",
      ...form({ _csrf: token, username: "proxied", password: testPassword }),
      cookies,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
    });
    t.equal(res.statusCode, 303);
    t.equal(Boolean(res.cookies.find((c) => c.name === "did_session")?.secure), secure, `TRUST_PROXY=${trustProxy}`);
  }
});
