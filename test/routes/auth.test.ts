// Signing in and out, sessions and their ends, the way back to a bookmarked URL, rate
// limits, and the user's own password.
import { createHash } from "node:crypto";
import t, { type Test } from "tap";
import { buildTestApp, form, html, signIn, testPassword, text } from "../helpers/app.js";
import { makeUser } from "../helpers/factories.js";

type App = Awaited<ReturnType<typeof buildTestApp>>["app"];

/** The sign-in form's CSRF cookie and token, as a browser would have them. */
async function signInForm(app: App) {
  const page = await app.inject({ url: "/signin" });
  const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
  return { cookies, token: html(page.body).querySelector('input[name="_csrf"]')!.getAttribute("value")! };
}

async function attempt(app: App, fields: Record<string, string>, remoteAddress = "10.0.0.1", extra: { cookies?: Record<string, string>; headers?: Record<string, string> } = {}) {
  const { cookies, token } = await signInForm(app);
  const { payload, headers } = form({ _csrf: token, ...fields });
  return app.inject({ method: "POST", url: "/signin", payload, headers: { ...headers, ...extra.headers }, cookies: { ...cookies, ...extra.cookies }, remoteAddress });
}

t.test("signing in", async (t) => {
  // Limits are tested on their own below; here they must not get in the way.
  const { app, db, signInAs } = await buildTestApp(t, { signInFailuresPerUsernameAndIp: 1000, signInFailuresPerIp: 1000, signInFailuresPerUsername: 1000 });
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

const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

/** The status codes of requests made one after another. */
async function codes(requests: (() => Promise<{ statusCode: number }>)[]): Promise<number[]> {
  const out = [];
  for (const request of requests) out.push((await request()).statusCode);
  return out;
}

const tooManySignIns = /^Too many sign-in attempts\. Try again in \d+ minutes?\.$/;

/** A 429 that says how long to wait, in its header and its words, within the window. */
function assertWait(t: Test, res: Awaited<ReturnType<typeof attempt>>, words: RegExp, errorSelector = "#signin-error") {
  t.equal(res.statusCode, 429);
  const seconds = Number(res.headers["retry-after"]);
  t.ok(seconds > 0 && seconds <= 15 * 60, `Retry-After: ${res.headers["retry-after"]}`);
  t.match(text(html(res.body).querySelector(errorSelector)), words);
}

t.test("sign-in limits count wrong passwords only", async (t) => {
  // 3 wrong per (username, address), 8 per address, 5 per username from anywhere.
  const { app, db } = await buildTestApp(t, { signInFailuresPerUsernameAndIp: 3, signInFailuresPerIp: 8, signInFailuresPerUsername: 5, signInWindowMinutes: 15 });

  t.test("successful sign-ins never count", async (t) => {
    await makeUser(db, { role: "support", username: "steady" });
    const good = await codes(times(15, () => () => attempt(app, { username: "steady", password: testPassword }, "10.1.0.1")));
    t.same(good, times(15, () => 303), "15 sign-ins in a row from one address, over every limit");
    const wrong = await codes(times(4, (i) => () => attempt(app, { username: "steady", password: `guess ${i}` }, "10.1.0.1")));
    t.same(wrong, [401, 401, 401, 429], "wrong passwords still count from zero up to the limit");
  });

  t.test("wrong passwords are limited per username and address", async (t) => {
    await makeUser(db, { role: "support", username: "target" });
    const wrong = await codes(times(3, (i) => () => attempt(app, { username: "target", password: `guess ${i}` }, "10.2.0.1")));
    t.same(wrong, [401, 401, 401]);
    const limited = await attempt(app, { username: "target", password: testPassword }, "10.2.0.1");
    assertWait(t, limited, tooManySignIns);
    t.equal(html(limited.body).querySelector("#u-username")?.getAttribute("value"), "target", "the username is kept");
    t.equal((await attempt(app, { username: "target", password: testPassword }, "10.2.0.2")).statusCode, 303, "the right password from another address signs in");
    t.equal((await attempt(app, { username: "TARGET", password: testPassword }, "10.2.0.1")).statusCode, 429, "the locked address waits, however the name is spelled");
    const ghost = await codes(times(4, (i) => () => attempt(app, { username: "no-such-user", password: `guess ${i}` }, "10.2.1.1")));
    t.same(ghost, [401, 401, 401, 429], "an unknown username is limited the same way");
    const ghostLimited = await attempt(app, { username: "no-such-user", password: "guess" }, "10.2.1.1");
    t.equal(text(html(ghostLimited.body).querySelector("#signin-error")), text(html(limited.body).querySelector("#signin-error")), "in the same words");
  });

  t.test("wrong passwords are limited per address across usernames", async (t) => {
    await makeUser(db, { role: "support", username: "walker" });
    t.same(await codes(times(8, () => () => attempt(app, { username: "walker", password: testPassword }, "10.3.0.1"))), times(8, () => 303), "sign-ins first: they do not count");
    const spray = await codes(times(9, (i) => () => attempt(app, { username: `spray${i}`, password: "guess" }, "10.3.0.1")));
    t.same(spray, [401, 401, 401, 401, 401, 401, 401, 401, 429]);
    assertWait(t, await attempt(app, { username: "walker", password: testPassword }, "10.3.0.1"), tooManySignIns);
    t.equal((await attempt(app, { username: "walker", password: testPassword }, "10.3.0.2")).statusCode, 303, "another address is not affected");
  });

  t.test("IPv6 clients are counted by their /64", async (t) => {
    await makeUser(db, { role: "support", username: "six" });
    const wrong = await codes(times(4, (i) => () => attempt(app, { username: "six", password: `guess ${i}` }, `2001:db8:6:6::${i + 1}`)));
    t.same(wrong, [401, 401, 401, 429], "four addresses of one /64 are one client");
    t.equal((await attempt(app, { username: "six", password: testPassword }, "2001:db8:6:7::1")).statusCode, 303, "the next /64 is another");
  });

  t.test("refused attempts count nowhere", async (t) => {
    await makeUser(db, { role: "support", username: "locked" });
    t.same(await codes(times(3, (i) => () => attempt(app, { username: "locked", password: `guess ${i}` }, "10.4.0.1"))), [401, 401, 401]);
    t.same(await codes(times(10, (i) => () => attempt(app, { username: "locked", password: `more ${i}` }, "10.4.0.1"))), times(10, () => 429), "hammering the locked door");
    const others = await codes(times(6, (i) => () => attempt(app, { username: `other${i}`, password: "guess" }, "10.4.0.1")));
    t.same(others, [401, 401, 401, 401, 401, 429], "the address's own count went on from 3 failures, not 13");
  });

  t.test("the per-username ceiling: every address gets one guess, the real user gets in", async (t) => {
    await makeUser(db, { role: "support", username: "celeb" });
    const spread = await codes(times(5, (i) => () => attempt(app, { username: "celeb", password: `guess ${i}` }, `10.5.0.${i + 1}`)));
    t.same(spread, [401, 401, 401, 401, 401], "five wrong passwords from five addresses reach the ceiling");
    // An address with one failure of its own (under its limit of 3) waits, even with the right password.
    assertWait(t, await attempt(app, { username: "celeb", password: testPassword }, "10.5.0.1"), tooManySignIns);
    t.equal((await attempt(app, { username: "celeb", password: testPassword }, "10.5.1.1")).statusCode, 303, "the right password from a clean address signs in");
    t.equal((await attempt(app, { username: "celeb", password: "guess again" }, "10.5.1.2")).statusCode, 401, "a wrong one from a clean address is checked");
    t.equal((await attempt(app, { username: "celeb", password: testPassword }, "10.5.1.2")).statusCode, 429, "and that address is refused from then on");
    const burst = await Promise.all(times(10, (i) => attempt(app, { username: "celeb", password: `burst ${i}` }, "10.5.2.1")));
    t.same([burst.filter((r) => r.statusCode === 401).length, burst.filter((r) => r.statusCode === 429).length], [1, 9], "a parallel burst from a clean address: one guess");
    t.equal((await attempt(app, { username: "bystander", password: "guess" }, "10.5.0.1")).statusCode, 401, "other usernames are not affected");
  });

  t.test("past twice the ceiling only a browser that signed in before may try", async (t) => {
    await makeUser(db, { role: "support", username: "star" });
    const before = await attempt(app, { username: "star", password: testPassword }, "10.9.0.1");
    t.equal(before.statusCode, 303);
    const device = before.cookies.find((c) => c.name === "did_device")!;
    t.ok(device.httpOnly && device.path === "/signin" && device.sameSite === "Lax", "a known-device cookie, for the sign-in form only");
    const spread = await codes(times(10, (i) => () => attempt(app, { username: "star", password: `guess ${i}` }, `10.9.1.${i + 1}`)));
    t.same(spread, times(10, () => 401), "ten addresses, one guess each: the hard cap (twice the ceiling of 5)");
    assertWait(t, await attempt(app, { username: "star", password: "guess" }, "10.9.2.1"), tooManySignIns);
    assertWait(t, await attempt(app, { username: "star", password: testPassword }, "10.9.2.2"), tooManySignIns);
    t.equal((await attempt(app, { username: "star", password: testPassword }, "10.9.3.1", { cookies: { did_device: device.value } })).statusCode, 303, "the known browser signs in, from any address");
    const [nonce] = device.value.split(".");
    t.equal((await attempt(app, { username: "star", password: testPassword }, "10.9.3.2", { cookies: { did_device: `${nonce}.forged` } })).statusCode, 429, "a forged cookie is no key");
    await makeUser(db, { role: "support", username: "fan" });
    const fan = (await attempt(app, { username: "fan", password: testPassword }, "10.9.4.1")).cookies.find((c) => c.name === "did_device")!;
    t.equal((await attempt(app, { username: "star", password: testPassword }, "10.9.4.2", { cookies: { did_device: fan.value } })).statusCode, 429, "nor another user's cookie");
  });

  t.test("a parallel burst from one address cannot slip past the counter", async (t) => {
    await makeUser(db, { role: "support", username: "burst" });
    const burst = await Promise.all(times(20, (i) => attempt(app, { username: "burst", password: `guess ${i}` }, "10.6.0.1")));
    t.same([burst.filter((r) => r.statusCode === 401).length, burst.filter((r) => r.statusCode === 429).length], [3, 17], "only 3 passwords were checked");
    for (const res of burst.filter((r) => r.statusCode === 429)) t.ok(Number(res.headers["retry-after"]) > 0, "Retry-After");
    assertWait(t, await attempt(app, { username: "burst", password: testPassword }, "10.6.0.1"), tooManySignIns);
    t.equal((await attempt(app, { username: "burst", password: testPassword }, "10.6.0.2")).statusCode, 303, "the right password from another address signs in");
  });

  t.test("a username is one counter however it is spelled", async (t) => {
    await makeUser(db, { role: "support", username: "casey" });
    const spelled = await codes(["casey", "CASEY", " Casey ", "cAsEy"].map((name) => () => attempt(app, { username: name, password: "guess" }, "10.7.0.1")));
    t.same(spelled, [401, 401, 401, 429]);
    const dotless = await attempt(app, { username: "cas\u0130y", password: testPassword }, "10.7.0.2");
    t.equal(dotless.statusCode, 401, "non-ASCII look-alikes are not usernames at all");
  });

  t.test("a disabled account with its right password is no guess", async (t) => {
    await makeUser(db, { role: "support", username: "retired" });
    await db.user.update({ where: { username: "retired" }, data: { disabled: true } });
    const told = await codes(times(5, () => () => attempt(app, { username: "retired", password: testPassword }, "10.8.0.1")));
    t.same(told, times(5, () => 401), "told it is disabled, again and again");
    t.same(await codes(times(4, (i) => () => attempt(app, { username: "retired", password: `guess ${i}` }, "10.8.0.1"))), [401, 401, 401, 429], "wrong passwords count");
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

t.test("current-password checks count wrong passwords only", async (t) => {
  const { app, signInAs } = await buildTestApp(t, { signInFailuresPerUsernameAndIp: 3 });
  const pat = await signInAs({ role: "support", username: "pat" });
  const change = (fields: Record<string, string>) => pat.inject({ method: "POST", url: "/account/password", ...form(fields) });
  const tooShort = await codes(times(5, () => () => change({ current: testPassword, password: "short", repeat: "short" })));
  t.same(tooShort, times(5, () => 422), "the right current password with a refused new one, five times: no guess");
  const wrong = await codes(times(3, (i) => () => change({ current: `guess ${i}`, password: "a brand new password", repeat: "a brand new password" })));
  t.same(wrong, [422, 422, 422]);
  const limited = await change({ current: testPassword, password: "a brand new password", repeat: "a brand new password" });
  assertWait(t, limited, /^Too many attempts\. Try again in \d+ minutes?\.$/, "#current-error");
  t.ok(await signIn(app, "pat"), "the password is unchanged");

  const lee = await signInAs({ role: "support", username: "lee" });
  const burst = await Promise.all(times(10, (i) => lee.inject({ method: "POST", url: "/account/password", ...form({ current: `guess ${i}`, password: "a brand new password", repeat: "a brand new password" }) })));
  t.same([burst.filter((r) => r.statusCode === 422).length, burst.filter((r) => r.statusCode === 429).length], [3, 7], "a parallel burst: only 3 checked");
  t.equal((await lee.inject({ method: "POST", url: "/account/password", ...form({ current: testPassword, password: "a brand new password", repeat: "a brand new password" }) })).statusCode, 429, "then even the right one waits");
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

t.test("behind a proxy, a client cannot pick its own address", async (t) => {
  // TRUST_PROXY=1: one proxy in front; the client is the address it saw (the last entry).
  const { app, db } = await buildTestApp(t, { trustProxy: 1, signInFailuresPerUsernameAndIp: 3, signInFailuresPerIp: 100, signInFailuresPerUsername: 100 });
  await makeUser(db, { role: "support", username: "proxied" });
  const forged = await codes(times(4, (i) => () => attempt(app, { username: "proxied", password: `guess ${i}` }, "10.0.0.250", { headers: { "x-forwarded-for": `198.51.100.${i}, 203.0.113.7` } })));
  t.same(forged, [401, 401, 401, 429], "a forged first entry does not make a new client");
  const other = await attempt(app, { username: "proxied", password: testPassword }, "10.0.0.250", { headers: { "x-forwarded-for": "203.0.113.8" } });
  t.equal(other.statusCode, 303, "another client behind the same proxy is not affected");
});
