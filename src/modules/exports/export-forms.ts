// What an export request asks for, read at the edge: the format, and which DIDs in which
// order. "Export selected" posts the inventory's bulk form, read by the same parser as mass
// edit and delete, so the three agree on which rows a selection means.
import { FieldReader, type FieldErrors } from "../../shared/field-errors.js";
import type { DidListQuery } from "../dids/did-filters.js";
import { parseSelectionForm, type DidSelection } from "../dids/did-selection.js";
import { exportFormats, type ExportFormat } from "./export-files.js";

export interface ExportCommand {
  format: ExportFormat;
  selection: DidSelection;
  /** The sort of the search the DIDs were chosen on: the file keeps the screen's order. */
  order: Pick<DidListQuery, "sort" | "dir">;
}

export type ParsedExport = { ok: true; command: ExportCommand } | { ok: false; errors: FieldErrors };

const formatParam = "format";

/** The file format; CSV when the request names none (a bookmarked search URL, say). */
export function readExportFormat(reader: FieldReader): ExportFormat | undefined {
  return reader.oneOf(formatParam, "export format", exportFormats, "csv");
}

/** "Export selected": the bulk form's selection (ticked ids, this page, or all matching) and the format. */
export function parseSelectionExport(body: Record<string, unknown>): ParsedExport {
  const reader = new FieldReader(body);
  const format = readExportFormat(reader);
  const selected = parseSelectionForm(body);
  const errors = { ...selected.errors, ...reader.errors };
  const { selection, query } = selected.value;
  if (!selection || format === undefined || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, command: { format, selection, order: { sort: query.sort, dir: query.dir } } };
}
