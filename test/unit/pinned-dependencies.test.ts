// package.json's "overrides" give @fastify/cookie and light-my-request (fastify's inject)
// cookie 1.1.1, and @fastify/static content-disposition 2.0.1: the majors they ask for
// (cookie 2, content-disposition 3) declare Node >= 22, and this app supports Node 20.
// The pinned versions have the functions those packages call (cookie: parseCookie,
// stringifySetCookie with a cookie object; content-disposition: create). These checks
// hold them to it, so that an upgrade of a parent that needs the newer major fails here.
// Sign-in, CSRF and flash messages (routes and browser tests) use the cookies for real;
// the app never calls reply.download, so the second test is content-disposition's only use.
import Fastify from "fastify";
import cookie from "@fastify/cookie";
import fastifyStatic from "@fastify/static";
import t from "tap";
import { publicDir } from "../../src/paths.js";

t.test("@fastify/cookie and inject() round-trip a cookie with the pinned cookie package", async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(cookie);
  // Characters each version encodes differently (cookie 2 leaves "+/=:" as they are) and
  // the ones that must be encoded: both versions read either form back.
  const message = "Created operator “Omega; 100% = done” (a+b/c=:).";
  app.get("/set", async (_request, reply) => reply.setCookie("flash", message, { path: "/", httpOnly: true, sameSite: "lax", maxAge: 60 }).send("ok"));
  app.get("/get", async (request) => ({ flash: request.cookies.flash ?? null }));

  const set = await app.inject({ url: "/set" });
  const header = String(set.headers["set-cookie"]);
  t.match(header, /^flash=[^;\s]+; Max-Age=60; Path=\/; HttpOnly; SameSite=Lax$/, "one Set-Cookie line with its attributes");
  const value = set.cookies[0]!.value;
  // The cookies option goes through light-my-request's own use of the cookie package.
  const get = await app.inject({ url: "/get", cookies: { flash: value } });
  t.same(get.json(), { flash: message }, "the message reads back as written");
});

t.test("@fastify/static's reply.download names the file with the pinned content-disposition", async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(fastifyStatic, { root: publicDir, serve: false });
  app.get("/plain", (_request, reply) => reply.download("app.css"));
  app.get("/named", (_request, reply) => reply.download("app.css", "Übersicht 2026.csv"));

  const plain = await app.inject({ url: "/plain" });
  t.equal(plain.statusCode, 200);
  t.equal(plain.headers["content-disposition"], "attachment; filename=app.css");
  const named = await app.inject({ url: "/named" });
  t.equal(named.headers["content-disposition"], `attachment; filename="?bersicht 2026.csv"; filename*=UTF-8''%C3%9Cbersicht%202026.csv`);
});
