// The CSV's cells as PostgreSQL writes them (export-files.ts builds the SQL): free text
// neutralised against formula injection and quoted, statuses as labels, and the rule an
// import uses to undo the neutralising.
import t from "tap";
import pg from "pg";
import { parse } from "csv-parse/sync";
import { Prisma } from "../../src/generated/prisma/client.js";
import { csvLineSql, csvTextSql } from "../../src/modules/exports/export-files.js";
import type { ExportColumnsSql } from "../../src/modules/dids/dids.repo.js";
import { createTestDatabase } from "../helpers/app.js";

t.test("CSV cells", async (t) => {
  const client = new pg.Client({ connectionString: await createTestDatabase(t) });
  await client.connect();
  t.teardown(() => client.end());
  const cell = async (value: string | null) => {
    const sql = Prisma.sql`SELECT ${csvTextSql(Prisma.sql`${value}::text`)} AS cell`;
    return (await client.query<{ cell: string | null }>(sql.text, sql.values)).rows[0]!.cell;
  };

  t.test("free text that a spreadsheet would run gets a leading quote", async (t) => {
    for (const [value, expected] of [
      ["=1+1", `"'=1+1"`],
      ["+33 1 23", `"'+33 1 23"`],
      ["-5", `"'-5"`],
      ["@SUM(A1)", `"'@SUM(A1)"`],
      ["\tcmd", `"'\tcmd"`],
      ["\rcmd", `"'\rcmd"`],
      ["'=x", `"''=x"`],
      ["''+x", `"'''+x"`],
      ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ]) t.equal(await cell(value!), expected, JSON.stringify(value));
  });

  t.test("other text is left as it is, quoted", async (t) => {
    for (const value of ["", "plain", "a=b", "'quoted", "'", " =space first", "\nline", "Lumière", "a, b", "line\r\nbreak"]) t.equal(await cell(value), `"${value}"`, JSON.stringify(value));
    t.equal(await cell(null), null, "NULL stays an empty cell");
    t.equal(await cell('say "hi"'), `"say ""hi"""`, "quotes doubled");
  });

  t.test("an import undoes it exactly: one leading quote off a value matching /^'+[=+\\-@\\t\\r]/", async (t) => {
    const undo = (text: string) => (/^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text);
    for (const value of ["=1", "'=1", "''=1", "'plain", "-", "'", "''", "a'=b", "\t"]) {
      const read = (parse((await cell(value))!) as string[][])[0]![0]!;
      t.equal(undo(read), value, `${JSON.stringify(value)} round-trips`);
    }
  });

  t.test("a line: every kind of cell", async (t) => {
    const columns: ExportColumnsSql = {
      id: Prisma.sql`42`,
      number: Prisma.sql`'0098123400'`,
      status: Prisma.sql`'in_stock'`,
      operator: Prisma.sql`'Kyivstar'`,
      reseller: Prisma.sql`'+Evil'`,
      afterHold: Prisma.sql`'archive'`,
      holdDays: Prisma.sql`30`,
      tag: Prisma.sql`NULL::text`,
      notes: Prisma.sql`E'two\\nlines'`,
      client: Prisma.sql`NULL::text`,
      account: Prisma.sql`NULL::text`,
      package: Prisma.sql`NULL::text`,
      created: Prisma.sql`'2026-11-27 08:12:34'`,
    };
    const sql = Prisma.sql`SELECT ${csvLineSql(columns)}`;
    const line = (await client.query<{ line: string }>(sql.text, sql.values)).rows[0]!.line;
    t.equal(line, `42,In stock,"Kyivstar",0098123400,,"two\nlines",,,"'+Evil",Archive,30,,2026-11-27 08:12:34`);
  });
});
