// The rejected rows of an import as a CSV, streamed from a cursor: the mapped values as
// the file had them, the row, and the reason. Its header is one the importer recognises,
// so a person can fix the rows in a spreadsheet and import the file again.
import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyBaseLogger } from "fastify";
import QueryStream from "pg-query-stream";
import { stringify } from "csv-stringify";
import { withPgClient, type Db } from "../../db/prisma.js";
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

export function rejectedRowsCsv(db: Db, importId: number, log: FastifyBaseLogger): Readable {
  const out = new PassThrough();
  const { text, values } = rejectedRowsSql(importId);
  const toCells = new Transform({
    objectMode: true,
    transform(r: RejectedRow, _encoding, done) {
      // Values as the file had them, made inert for spreadsheets (an invalid DID is free text too).
      const safe = (value: string | null) => (value === null ? "" : neutraliseCell(value));
      done(null, [r.row, safe(r.number), safe(r.operator_name), safe(r.status), safe(r.after_hold), safe(r.hold_days), safe(r.tag), safe(r.notes), reasonLabels[r.reason], safe(r.detail)]);
    },
  });
  withPgClient(db, (client) => pipeline(client.query(new QueryStream(text, values, { batchSize: 1000 })), toCells, stringify({ header: true, columns: header, bom: true }), out)).catch(
    (error: unknown) => {
      log.warn({ err: error }, "rejected rows download cut short");
      out.destroy(error instanceof Error ? error : undefined);
    },
  );
  return out;
}
