// The rejected rows of an import as a CSV, read through a cursor (the export's, on a small
// pool of its own): the mapped values as the file had them, the row, and the reason. Its
// header is one the importer recognises, so a person can fix the rows in a spreadsheet and
// import the file again.
import { Readable } from "node:stream";
import type pg from "pg";
import { stringify } from "csv-stringify/sync";
import { openCursor } from "../../db/cursor.js";
import { neutraliseCell } from "../../shared/csv-cells.js";
import { reasonLabels, type RejectReason } from "./import-rows.js";
import { rejectedRowsSql } from "./imports.repo.js";

const header = ["Row", "DID", "Operator", "Status", "After hold", "Hold days", "Tag", "Notes", "Reason", "Detail"];

interface RejectedRow {
  row: number;
  number: string | null;
  operator_name: string | null;
  status: string | null;
  after_hold: string | null;
  hold_days: string | null;
  tag: string | null;
  notes: string | null;
  reason: RejectReason;
  detail: string | null;
}

/** Values as the file had them, made inert for spreadsheets (an invalid DID is free text too). */
const safe = (value: string | null) => (value === null ? "" : neutraliseCell(value));

const cells = (r: RejectedRow) => [r.row, safe(r.number), safe(r.operator_name), safe(r.status), safe(r.after_hold), safe(r.hold_days), safe(r.tag), safe(r.notes), reasonLabels[r.reason], safe(r.detail)];

/** Opens the cursor first, so that a failing query gets an error page, not a broken file. */
export async function rejectedRowsCsv(pool: pg.Pool, importId: number): Promise<{ file: Readable; close: () => void }> {
  const cursor = await openCursor<RejectedRow>(pool, rejectedRowsSql(importId), 1000);
  async function* chunks() {
    // A byte order mark, without which Excel reads "Télécom" as "TÃ©lÃ©com".
    yield `\uFEFF${stringify([header])}`;
    for await (const rows of cursor) yield stringify(rows.map(cells));
  }
  return { file: Readable.from(chunks(), { objectMode: false }), close: cursor.close };
}
