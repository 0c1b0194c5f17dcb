// Exports of the DID inventory: which DIDs a request means, read exactly as the inventory
// page reads the same search, and the file of them, streamed from a cursor. The file
// formats are in export-files.ts.
import type { Readable } from "node:stream";
import type pg from "pg";
import type { Db } from "../../db/prisma.js";
import type { Actor } from "../../shared/actor.js";
import { FieldReader } from "../../shared/field-errors.js";
import { openDidExport } from "../dids/dids.repo.js";
import { checkedListQuery } from "../dids/dids.service.js";
import { csvFile, csvLineSql, xlsxFile } from "./export-files.js";
import { readExportFormat, type ExportCommand, type ParsedExport } from "./export-forms.js";

/**
 * An export of a search URL (`/dids/export?format=csv&status=in_stock&sort=tag`): the
 * format, and every DID the search matches (not only a page) in its sort. The search is
 * checked as the page checks it, so a URL the page refuses is refused here too.
 */
export async function exportOfSearch(db: Db, actor: Actor, rawQuery: Record<string, unknown>): Promise<ParsedExport> {
  const reader = new FieldReader(rawQuery);
  const format = readExportFormat(reader);
  const { query, errors } = await checkedListQuery(db, actor, rawQuery);
  const all = { ...errors, ...reader.errors };
  if (format === undefined || Object.keys(all).length > 0) return { ok: false, errors: all };
  return { ok: true, command: { format, selection: { kind: "search", query }, order: { sort: query.sort, dir: query.dir } } };
}

export interface ExportFile {
  /** The file, produced as fast as it is read. */
  file: Readable;
  /** Stops the rows and frees the connection, however far the file got. */
  close: () => void;
}

/**
 * The file of the command's DIDs, in the user's scope and the command's order, from a
 * cursor on `pool`. The query runs, and its first rows arrive, before this returns.
 */
export async function openExport(pool: pg.Pool, actor: Actor, command: ExportCommand): Promise<ExportFile> {
  const { selection, order } = command;
  if (command.format === "csv") {
    const lines = await openDidExport<{ line: string }>(pool, actor.scope, selection, order, csvLineSql);
    return { file: csvFile(lines), close: () => lines.close() };
  }
  const rows = await openDidExport(pool, actor.scope, selection, order);
  return { file: xlsxFile(rows), close: () => rows.close() };
}
