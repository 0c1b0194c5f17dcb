// The status rules' SQL form (used by set-based mass edits) agrees with the table in code
// for every combination of current status, assignment and next status.
import t from "tap";
import { Prisma } from "../../src/generated/prisma/client.js";
import { didStatuses } from "../../src/modules/dids/did-filters.js";
import { manualStatusRefusalCode, manualStatusRefusalSql } from "../../src/modules/dids/did-status-rules.js";
import { buildTestApp } from "../helpers/app.js";
import { makeClientAccount, makeDids, makeOperator } from "../helpers/factories.js";

t.test("SQL and code say the same", async (t) => {
  const { db } = await buildTestApp(t);
  const op = await makeOperator(db);
  const account = await makeClientAccount(db, op.resellerId);
  let n = 0;
  const dids = [];
  for (const status of didStatuses) {
    for (const assigned of [false, true]) {
      const [did] = await makeDids(db, op.id, [`3804400000${String(n++).padStart(2, "0")}`], { status, clientAccountId: assigned ? account.id : undefined });
      dids.push({ id: did!.id, status, assigned });
    }
  }
  for (const next of didStatuses) {
    const rows = await db.$queryRaw<{ id: number; code: string | null }[]>(Prisma.sql`SELECT d.id, ${manualStatusRefusalSql(next)} AS code FROM did d`);
    for (const did of dids) {
      const sqlCode = rows.find((r) => r.id === did.id)?.code ?? undefined;
      t.equal(sqlCode, manualStatusRefusalCode(did.status, did.assigned, next), `${did.status}${did.assigned ? " (assigned)" : ""} → ${next}`);
    }
  }
});
