// Exports of the DID inventory: which DIDs a request means, read exactly as the inventory
// page reads the same search, and the cursor that streams them. The file formats are in
// export-files.ts.
import type pg from "pg";
import type { Cursor } from "../../db/cursor.js";
import type { Db } from "../../db/prisma.js";
import type { Actor } from "../../shared/actor.js";
import { FieldReader } from "../../shared/field-errors.js";
import { openDidExport, type DidExportRow } from "../dids/dids.repo.js";
import { checkedListQuery } from "../dids/dids.service.js";
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

/** The DIDs of the command, in the user's scope and the command's order, as a cursor on `pool`. */
export function openExport(pool: pg.Pool, actor: Actor, command: ExportCommand): Promise<Cursor<DidExportRow>> {
  return openDidExport(pool, actor.scope, command.selection, command.order);
}
