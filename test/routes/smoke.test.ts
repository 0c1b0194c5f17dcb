import t from "tap";
import { buildTestApp, html, tableRows } from "../helpers/app.js";
import { makeDids, makeOperator } from "../helpers/factories.js";

t.test("inventory lists DIDs", async (t) => {
  const { app, db } = await buildTestApp(t);
  const op = await makeOperator(db);
  await makeDids(db, op.id, ["380441000001", "380441000002"]);
  const res = await app.inject({ url: "/dids" });
  t.equal(res.statusCode, 200);
  t.equal(tableRows(html(res.body)).length, 2);
});
