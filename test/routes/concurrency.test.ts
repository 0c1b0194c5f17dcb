// Two people at once: the loser of a race gets a clear answer, never a 500, and nothing
// is half-written.
import t from "tap";
import pg from "pg";
import { buildTestApp, form, html, text } from "../helpers/app.js";
import { auditEventsAfter, lastAuditEventId } from "../helpers/audit.js";
import { makeClientAccount, makeDids, makeOperator } from "../helpers/factories.js";

t.test("races", async (t) => {
  const { db, admin, url } = await buildTestApp(t);
  const op = await makeOperator(db);

  t.test("deleting the same DID four times at once", async (t) => {
    for (let round = 0; round < 3; round++) {
      const [did] = await makeDids(db, op.id, [`55510${round}`]);
      const codes = (await Promise.all(Array.from({ length: 4 }, () => admin.inject({ method: "POST", url: `/dids/${did!.id}/delete`, ...form({}) })))).map((r) => r.statusCode).sort();
      t.same(codes, [303, 404, 404, 404], `round ${round}`);
    }
  });

  t.test("editing a DID while it is deleted", async (t) => {
    const [did] = await makeDids(db, op.id, ["555200"]);
    const edit = form({ operator: String(op.id), status: "reserved", after_hold: "in_stock", hold_days: "0" });
    const [a, b] = await Promise.all([
      admin.inject({ method: "POST", url: `/dids/${did!.id}/edit`, ...edit }),
      admin.inject({ method: "POST", url: `/dids/${did!.id}/delete`, ...form({}) }),
    ]);
    t.ok([303, 404].includes(a.statusCode), `edit → ${a.statusCode}`);
    t.equal(b.statusCode, 303);
  });

  t.test("deleting the same operator three times at once", async (t) => {
    const spare = await makeOperator(db);
    const codes = (await Promise.all(Array.from({ length: 3 }, () => admin.inject({ method: "POST", url: `/operators/${spare.id}/delete` })))).map((r) => r.statusCode).sort();
    t.same(codes, [303, 404, 404]);
  });

  t.test("deleting an operator while a range is being created for it", async (t) => {
    for (let round = 0; round < 3; round++) {
      const target = await makeOperator(db);
      const create = admin.inject({ method: "POST", url: "/dids/new", ...form({ numbers: `7${round}0000000-7${round}0019999`, operator: String(target.id) }) });
      await new Promise((resolve) => setTimeout(resolve, 20 * round));
      const remove = admin.inject({ method: "POST", url: `/operators/${target.id}/delete` });
      const [created, removed] = await Promise.all([create, remove]);
      t.ok([303, 422].includes(created.statusCode), `create → ${created.statusCode}`);
      t.ok([303, 409].includes(removed.statusCode), `delete → ${removed.statusCode}`);
      const dids = await db.did.count({ where: { operatorId: target.id } });
      const exists = (await db.operator.count({ where: { id: target.id } })) === 1;
      if (created.statusCode === 303) {
        t.equal(removed.statusCode, 409, "created first: the delete is refused");
        t.equal(dids, 20_000);
        t.match(text(html(removed.body).querySelector(".error-box")), /still owns 20,000 DIDs/);
      } else {
        t.equal(removed.statusCode, 303, "deleted first: the create says the operator is gone");
        t.match(text(html(created.body).querySelector("#operator-error")), /does not exist/);
        t.equal(dids, 0);
        t.notOk(exists);
      }
    }
  });

  t.test("two mass edits over overlapping DIDs at the same moment", async (t) => {
    const numbers = Array.from({ length: 2000 }, (_, i) => `3804488${String(i).padStart(5, "0")}`);
    const dids = await makeDids(db, op.id, numbers, { tag: "race" });
    const ids = dids.map((d) => String(d.id));
    const before = await lastAuditEventId(db);
    const edit = (fields: Record<string, string | string[]>) => admin.inject({ method: "POST", url: "/dids/mass-edit/apply", ...form({ search: "", ...fields }) });
    const [a, b] = await Promise.all([
      edit({ id: ids.slice(0, 1500), change_status: "1", status: "blocked" }),
      edit({ id: ids.slice(500), change_status: "1", status: "archive", change_tag: "1", tag: "race-b" }),
    ]);
    t.same([a.statusCode, b.statusCode], [303, 303], "both finish, one after the other");
    const events = await auditEventsAfter(db, before);
    const requests = [...new Set(events.map((e) => e.requestId))];
    t.equal(requests.length, 2);
    const rows = await db.did.findMany({ where: { tag: { in: ["race", "race-b"] } }, orderBy: { id: "asc" } });
    for (const did of rows) {
      const mine = events.filter((e) => e.objectId === did.id);
      // Each DID's final state is what its last event says it became.
      const last = mine.at(-1)!;
      t.equal(last.changes!.status![1], did.status, `DID ${did.number}: the state matches its last event`);
    }
    t.equal(events.length, 1500 + 1500, "every change has its event");
  });

  t.test("a DID assigned while a mass edit waits for it is skipped, not forced", async (t) => {
    const account = await makeClientAccount(db, op.resellerId);
    const dids = await makeDids(db, op.id, ["380449900001", "380449900002", "380449900003"], { tag: "assign-race" });
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // The assignment (a later issue's code) holds the row while the mass edit starts.
      await other.query("BEGIN");
      await other.query("UPDATE did SET client_account_id = $1, status = 'active' WHERE id = $2", [account.id, dids[0]!.id]);
      const before = await lastAuditEventId(db);
      const pending = admin.inject({ method: "POST", url: "/dids/mass-edit/apply", ...form({ search: "", id: dids.map((d) => String(d.id)), change_status: "1", status: "archive" }) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.query("COMMIT");
      const res = await pending;
      t.equal(res.statusCode, 303);
      t.equal((await db.did.findUniqueOrThrow({ where: { id: dids[0]!.id } })).status, "active", "the rules are checked again on the row as the assignment left it");
      const events = await auditEventsAfter(db, before);
      t.same(events.map((e) => e.objectId), [dids[1]!.id, dids[2]!.id], "events only for what changed");
    } finally {
      await other.end();
    }
  });
});
