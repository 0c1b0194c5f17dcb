// The audit log is append-only in the database itself: UPDATE, DELETE and TRUNCATE of
// audit_event are refused, unless a session deliberately allows purging (archiving).
import t from "tap";
import pg from "pg";
import { buildTestApp } from "../helpers/app.js";

t.test("events cannot be changed or removed by accident", async (t) => {
  const { url } = await buildTestApp(t);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  await client.query(`INSERT INTO audit_event (request_id, actor_name, action, object_type, object_id, label) VALUES (gen_random_uuid(), 'admin', 'edit', 'did', 1, '380441234567')`);
  for (const sql of ["UPDATE audit_event SET label = 'forged'", "DELETE FROM audit_event", "TRUNCATE audit_event"]) {
    await t.rejects(client.query(sql), /audit_event is append-only/, sql);
  }
  t.equal((await client.query("SELECT label FROM audit_event WHERE action = 'edit'")).rows[0]?.label, "380441234567", "the event is as written");
  await client.query("BEGIN");
  await client.query("SET LOCAL did_inventory.allow_audit_purge = on");
  await t.rejects(client.query("UPDATE audit_event SET label = 'forged'"), /append-only/, "even then, an event is never rewritten");
  await client.query("ROLLBACK");
  await client.query("BEGIN");
  await client.query("SET LOCAL did_inventory.allow_audit_purge = on");
  await client.query("DELETE FROM audit_event WHERE action = 'edit'");
  await client.query("COMMIT");
  t.equal((await client.query("SELECT count(*)::int AS n FROM audit_event WHERE action = 'edit'")).rows[0].n, 0, "an archiving session that says so may remove events");
});
