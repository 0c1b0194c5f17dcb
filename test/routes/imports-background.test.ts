// Large imports run as background jobs: the page shows progress (a fragment htmx polls,
// a page that refreshes itself without JavaScript), the user may leave and come back,
// and an import cut short by a restart is failed with nothing written, then runs again
// from its stored file.
import t from "tap";
import { startJobWorker } from "../../src/jobs/job-worker.js";
import { jobHandlers } from "../../src/jobs/job-handlers.js";
import { buildTestApp, form, html, text, htmx, type Browser } from "../helpers/app.js";
import { makeOperator, makeReseller } from "../helpers/factories.js";
import { multipart } from "../helpers/multipart.js";

const quietLog = { info() {}, warn() {}, error() {}, child() { return quietLog; } };

t.test("a background import", async (t) => {
  // Every file is "large" here: each step is a job.
  const { db, admin, config } = await buildTestApp(t, { importInlineMaxBytes: 0 });
  const reseller = await makeReseller(db, "Acme");
  const operator = await makeOperator(db, { name: "Kyivstar", resellerId: reseller.id });
  const rows = 30_000;
  const content = "DID,Tag\n" + Array.from({ length: rows }, (_, i) => `3804${String(i).padStart(8, "0")},bg`).join("\n") + "\n";

  const upload = async (who: Browser) => {
    const body = multipart({ _csrf: who.csrfToken, header: "1", operator: String(operator.id), status: "in_stock", after_hold: "in_stock" }, { name: "large.csv", content });
    const res = await who.inject({ method: "POST", url: "/imports", payload: body.payload, headers: body.headers });
    return Number(/\d+$/.exec(String(res.headers.location))![0]);
  };
  const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    admin.inject({ method: "POST", url, ...form(fields), headers: { ...form(fields).headers, ...headers } });
  const check = (id: number) => post(`/imports/${id}/mapping`, { col_0: "did", col_1: "tag", header: "1", delimiter: "comma", action: "check", _csrf: admin.csrfToken });
  const state = async (id: number) => (await db.importRun.findUniqueOrThrow({ where: { id } })).state;
  const until = async (id: number, wanted: string) => {
    for (let i = 0; i < 600 && (await state(id)) !== wanted; i++) await new Promise((r) => setTimeout(r, 100));
    return state(id);
  };

  t.test("check and commit as jobs, with progress, in page and fragment mode", async (t) => {
    const id = await upload(admin);
    t.equal((await check(id)).statusCode, 303);
    t.equal(await state(id), "checking", "the check is queued, not run in the request");

    const page = await admin.inject({ url: `/imports/${id}` });
    const doc = html(page.body);
    t.match(text(doc.querySelector("#import-progress")), /Checking the file/);
    t.equal(doc.querySelector("#import-progress")?.getAttribute("hx-get"), `/imports/${id}/progress`, "htmx polls the progress fragment");
    t.match(page.body, new RegExp(`<noscript><meta http-equiv="refresh" content="2; url=/imports/${id}/progress"></noscript>`), "without JavaScript the page refreshes itself");
    const plain = await admin.inject({ url: `/imports/${id}/progress` });
    t.match(plain.body, /<html/, "the progress address is a whole page without htmx");
    t.match(plain.body, /http-equiv="refresh"/, "that keeps refreshing while the step runs");
    const fragment = await admin.inject({ url: `/imports/${id}/progress`, headers: htmx });
    t.notMatch(fragment.body, /<html/);
    t.match(text(html(fragment.body).querySelector("#import-progress")), /Checking the file… Waiting for a worker to start\./, "the poll's own small query says where the job is");
    t.ok(fragment.body.length < 2000, `the progress fragment is small (${fragment.body.length} bytes)`);

    const worker = startJobWorker(db, jobHandlers(config), { pollIntervalMs: 50, log: quietLog });
    t.teardown(() => worker.stop());
    t.equal(await until(id, "checked"), "checked");
    const done = await admin.inject({ url: `/imports/${id}/progress`, headers: htmx });
    t.equal(done.headers["hx-retarget"], "#import-step", "when the step ends, the poll brings the next step");
    t.match(text(html(done.body).querySelector(".preview-summary")), new RegExp(`${rows.toLocaleString("en-US")} DIDs can be imported`));

    t.equal((await post(`/imports/${id}/commit`, { _csrf: admin.csrfToken })).statusCode, 303);
    t.equal(await until(id, "done"), "done");
    const run = await db.importRun.findUniqueOrThrow({ where: { id } });
    const landed = await admin.inject({ url: `/imports/${id}/progress`, headers: htmx });
    t.equal(landed.headers["hx-redirect"], `/dids?batch=${run.operationId}`, "when the commit is over, the poll opens the imported DIDs");
    const landedPlain = await admin.inject({ url: `/imports/${id}/progress` });
    t.equal(landedPlain.headers.location, `/dids?batch=${run.operationId}`, "and so does the refreshing page");
    t.equal(await db.did.count({ where: { tag: "bg" } }), rows);
    for (let i = 0; i < 100 && (await db.importRow.count({ where: { importId: id } })) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    t.equal(await db.importRow.count({ where: { importId: id } }), 0, "the staged rows are cleared after the commit, in the background");
    const list = html((await admin.inject({ url: "/imports" })).body);
    t.match(text(list.querySelector("table.list tbody tr")), /large\.csv admin .* 30,000 30,000 0 Imported/);
  });

  t.test("a restart during a job fails the import with nothing written; it runs again from the stored file", async (t) => {
    await db.did.deleteMany({ where: { tag: "bg" } });
    const id = await upload(admin);
    await check(id);
    // The instance that claimed the job died: the job is running, its lease long over.
    await db.$executeRaw`UPDATE job SET state = 'running', locked_by = 'dead-instance', locked_until = now() - interval '1 minute', attempts = 1, started_at = now() WHERE kind = 'import-check' AND state = 'queued'`;
    const worker = startJobWorker(db, jobHandlers(config), { pollIntervalMs: 50, log: quietLog });
    t.teardown(() => worker.stop());
    t.equal(await until(id, "failed"), "failed");
    const page = html((await admin.inject({ url: `/imports/${id}` })).body);
    t.match(text(page.querySelector(".error-box")), /app stopped while this step ran, so nothing was written/);
    t.equal(await db.importRow.count({ where: { importId: id } }), 0, "no staging rows left");
    t.equal(await db.did.count({ where: { tag: "bg" } }), 0, "nothing in the inventory");

    t.equal((await post(`/imports/${id}/restart`, { _csrf: admin.csrfToken })).statusCode, 303);
    t.equal(await state(id), "uploaded", "back at the mapping, with the stored file");
    await check(id);
    t.equal(await until(id, "checked"), "checked");
    await post(`/imports/${id}/commit`, { _csrf: admin.csrfToken });
    t.equal(await until(id, "done"), "done");
    t.equal(await db.did.count({ where: { tag: "bg" } }), rows);
  });
});
