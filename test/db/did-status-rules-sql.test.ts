// The status rules' SQL form (used by set-based mass edits) agrees with the table in code
// for every combination of current status, assignment and next status.
import t from "tap";
import { Prisma } from "../../src/generated/prisma/client.js";
import { didStatuses } from "../../src/modules/dids/did-filters.js";
import { manualStatusRefusalCode, manualStatusRefusalSql } from "../../src/modules/dids/did-status-rules.js";
import { buildTestApp } from "../helpers/app.js";

t.test("SQL and code say the same", async (t) => {
  const { db } = await buildTestApp(t);
  // Every combination, including those the database itself no longer admits (active with no
  // account, say): the rule must answer for any row, so it runs over a list of values.
  const combinations = didStatuses.flatMap((status) => [false, true].map((assigned) => ({ status, assigned })));
  const values = Prisma.join(combinations.map((c, i) => Prisma.sql`(${i}::int, ${c.status}::"DidStatus", ${c.assigned ? 1 : null}::int)`));
  for (const next of didStatuses) {
    const rows = await db.$queryRaw<{ id: number; code: string | null }[]>(Prisma.sql`SELECT d.id, ${manualStatusRefusalSql(next)} AS code FROM (VALUES ${values}) AS d(id, status, client_account_id)`);
    combinations.forEach((did, i) => {
      const sqlCode = rows.find((r) => r.id === i)?.code ?? undefined;
      t.equal(sqlCode, manualStatusRefusalCode(did.status, did.assigned, next), `${did.status}${did.assigned ? " (assigned)" : ""} → ${next}`);
    });
  }
});
