// Text in a big sheet is decoded across the zip stream's chunks: a character whose bytes
// fall into two chunks reads whole (exceljs alone decodes each chunk on its own).
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import t from "tap";
import ExcelJS from "exceljs";
import { inspectImportFile, readImportRows } from "../../src/modules/imports/import-files.js";

t.test("accented text in 20,000 inline-string rows reads whole", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "xlsx-utf8-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, "accents.xlsx");
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: createWriteStream(file), useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet("DIDs");
  for (let i = 0; i < 20_000; i++) sheet.addRow([`3804412${String(i).padStart(5, "0")}`, "Alpes Télécom €"]).commit();
  await workbook.commit();
  const names = new Map<string, number>();
  for await (const row of readImportRows(file, await inspectImportFile(file, "accents.xlsx"), {}, [])) names.set(row.cells[1]!, (names.get(row.cells[1]!) ?? 0) + 1);
  t.same([...names], [["Alpes Télécom €", 20_000]]);
});
