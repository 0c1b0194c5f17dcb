// Two people at once: the loser of a race gets a clear answer, never a 500, and nothing
// is half-written.
import t from "tap";
import { buildTestApp, form, html, text } from "../helpers/app.js";
import { makeDids, makeOperator } from "../helpers/factories.js";

t.test("races", async (t) => {
  const { db, admin } = await buildTestApp(t);
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
});
