// Formula neutralising for CSV cells (the rejected rows of an import; the export does the
// same in SQL, see test/db/export-csv-sql.test.ts) and its exact inverse, which the CSV
// import applies, so that a file the app wrote imports back as stored.
import t from "tap";
import { neutraliseCell, restoreNeutralisedCell } from "../../src/shared/csv-cells.js";

t.test("neutraliseCell: what a spreadsheet would run as a formula gets a leading quote", async (t) => {
  for (const [value, expected] of [
    ["=1+1", "'=1+1"],
    ["+33 1 23", "'+33 1 23"],
    ["-5", "'-5"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tcmd", "'\tcmd"],
    ["\rcmd", "'\rcmd"],
    ["'=x", "''=x"],
    ["''+x", "'''+x"],
  ]) t.equal(neutraliseCell(value!), expected, JSON.stringify(value));
  for (const value of ["", "plain", "a=b", "'quoted", " =space first", "\nline", "380441234567", "Lumière"]) t.equal(neutraliseCell(value), value, `${JSON.stringify(value)} unchanged`);
  // The importer's inverse: one leading quote off a value matching /^'+[=+\-@\t\r]/.
  for (const value of ["=1", "'=1", "''=1", "'plain", "-", "'", "''"]) t.equal(restoreNeutralisedCell(neutraliseCell(value)), value, `${JSON.stringify(value)} round-trips`);
});

