// The round trip: an inventory exported (CSV and .xlsx) and imported into an empty one
// gives back the same numbers, operators, statuses, after-hold statuses, hold days, tags
// and notes, awkward text included (formula-like cells, quotes, commas, line breaks,
// accents).
import t, { type Test } from "tap";
import { buildTestApp, form, html, text, type TestApp } from "../helpers/app.js";
import { makeDids, makeOperator, makeReseller } from "../helpers/factories.js";
import { multipart } from "../helpers/multipart.js";

async function inventoryOf(app: TestApp) {
  const dids = await app.db.did.findMany({ orderBy: { number: "asc" }, include: { operator: true } });
  return dids.map((d) => [d.number, d.operator.name, d.status, d.afterHoldStatus, d.holdDays, d.tag, d.notes]);
}

/** Imports a file into `app` as its admin, creating the operators it names under `resellerId`. */
async function importFile(t: Test, app: TestApp, name: string, content: Buffer, resellerId: number) {
  const { admin } = app;
  const body = multipart({ _csrf: admin.csrfToken, header: "1", status: "in_stock", after_hold: "in_stock" }, { name, content });
  const uploaded = await admin.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
  t.equal(uploaded.statusCode, 303, `${name}: uploaded`);
  const id = Number(/\d+$/.exec(String(uploaded.headers.location))![0]);
  const page = html((await admin.inject({ url: `/imports/${id}` })).body);
  const mapping = Object.fromEntries(page.querySelectorAll("select[name^='col_']").map((s) => [s.getAttribute("name")!, s.querySelector("option[selected]")?.getAttribute("value") ?? "ignore"]));
  const delimiter = page.querySelector("#m-delimiter option[selected]")?.getAttribute("value");
  const checked = await admin.inject({
    method: "POST",
    url: `/imports/${id}/mapping`,
    ...form({ ...mapping, header: "1", ...(delimiter ? { delimiter } : {}), create_operators_under: String(resellerId), action: "check", _csrf: admin.csrfToken }),
  });
  t.equal(checked.statusCode, 303, `${name}: checked`);
  const report = html((await admin.inject({ url: `/imports/${id}` })).body);
  t.same(report.querySelectorAll("table.report tbody tr").map((tr) => text(tr)), [], `${name}: nothing rejected`);
  const committed = await admin.inject({ method: "POST", url: `/imports/${id}/commit`, ...form({ _csrf: admin.csrfToken }) });
  t.equal(committed.statusCode, 303, `${name}: committed`);
  return mapping;
}

t.test("export, then import into an empty inventory", async (t) => {
  const source = await buildTestApp(t);
  const acme = await makeReseller(source.db, "Acme");
  const kyivstar = await makeOperator(source.db, { name: "Kyivstar", resellerId: acme.id });
  const tricky = await makeOperator(source.db, { name: "=Télécom, \"Café\"", resellerId: acme.id });
  await makeDids(source.db, kyivstar.id, ["380441000001"], { tag: "vip", notes: "first line\nsecond, with \"quotes\"" });
  await makeDids(source.db, kyivstar.id, ["380441000002"], { status: "reserved", tag: "=HYPERLINK(\"http://x\")", notes: "+33 1 23 45" });
  await makeDids(source.db, tricky.id, ["0441000003"], { status: "archive", tag: "'=already quoted", notes: "@SUM(A1)" });
  await makeDids(source.db, tricky.id, ["15551000004"], { notes: "-5 and Lumière" });
  await source.db.did.update({ where: { number: "380441000002" }, data: { afterHoldStatus: "reserved", holdDays: 30 } });
  await source.db.did.update({ where: { number: "0441000003" }, data: { afterHoldStatus: "archive", holdDays: 7 } });
  const expected = await inventoryOf(source);

  for (const format of ["csv", "xlsx"] as const) {
    t.test(format, async (t) => {
      const exported = await source.admin.inject({ url: `/dids/export?format=${format}` });
      t.equal(exported.statusCode, 200);
      const target = await buildTestApp(t);
      const reseller = await makeReseller(target.db, "Acme");
      t.same(await inventoryOf(target), [], "the target inventory is empty");
      const mapping = await importFile(t, target, `inventory.${format}`, exported.rawPayload, reseller.id);
      t.same(Object.values(mapping).filter((f) => f !== "ignore").sort(), ["after_hold", "did", "hold_days", "notes", "operator", "status", "tag"], "the export's headers map themselves");
      t.same(await inventoryOf(target), expected, "the same DIDs, operators, statuses, after hold, hold days, tags and notes");
    });
  }
});
