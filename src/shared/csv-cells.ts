// Free text in a CSV that someone will open in a spreadsheet. A cell that starts with
// = + - @ (or a tab or carriage return, which some programs skip before one of those) would
// run as a formula: OWASP's advice is to start it with a single quote, which spreadsheets
// show as text. Text that already starts with quotes before such a character gets one
// more, so that the import can undo the rule exactly (restoreNeutralisedCell): a file the
// app wrote reads back as what was stored. The export writes the same rule in SQL, for
// speed (csvTextSql in modules/exports/export-files.ts); the round-trip test holds the two
// together.
const neutralised = /^'*[=+\-@\t\r]/;
const restorable = /^'+[=+\-@\t\r]/;

export function neutraliseCell(text: string): string {
  return neutralised.test(text) ? `'${text}` : text;
}

/** The import's side: one leading quote less on a cell that neutraliseCell wrote. */
export function restoreNeutralisedCell(text: string): string {
  return restorable.test(text) ? text.slice(1) : text;
}
