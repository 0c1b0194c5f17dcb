// When a session checked earlier may be taken on trust (auth.service.ts sessionClaim):
// within a minute of its last-seen time, before its idle and absolute ends.
import t from "tap";
import { sessionClaim, type CheckedSession } from "../../src/modules/auth/auth.service.js";
import { actorFor } from "../../src/shared/actor.js";

const policy = { idleMinutes: 30, absoluteHours: 8 };
const seen = new Date("2026-11-27T10:00:00.000Z");
const at = (ms: number) => new Date(seen.getTime() + ms);
const user = { userId: 7, username: "helen", role: "support" as const, resellerId: null };
const checked: CheckedSession = { actor: actorFor({ id: 7, ...user }), user, lastSeenAt: seen, expiresAt: at(3_600_000) };

t.test("a claim stands for a minute after the session was last seen", async (t) => {
  t.ok(sessionClaim("hash", checked, policy, at(0)));
  t.ok(sessionClaim("hash", checked, policy, at(60_000)), "at the minute");
  t.equal(sessionClaim("hash", checked, policy, at(60_001)), undefined, "then a full check is due, which writes last seen");
});

t.test("never past an end", async (t) => {
  t.equal(sessionClaim("hash", { ...checked, expiresAt: at(30_000) }, policy, at(30_000)), undefined, "the absolute end");
  t.equal(sessionClaim("hash", checked, { ...policy, idleMinutes: 0.5 }, at(30_000)), undefined, "the idle end");
});

t.test("the claim's SQL checks the session, its user and their state", async (t) => {
  const sql = sessionClaim("hash", checked, policy, at(1000))!;
  for (const part of ["s.token_hash =", "s.expires_at >", "s.last_seen_at >=", "u.id =", "u.username =", "u.role::text =", "u.reseller_id IS NOT DISTINCT FROM", "NOT u.disabled"]) t.ok(sql.text.includes(part), part);
  t.same(sql.values, ["hash", at(1000), seen, 7, "helen", "support", null]);
});
