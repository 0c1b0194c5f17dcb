// Text written to a CSV or spreadsheet that someone will open in Excel or LibreOffice: a
// cell that starts with = + - @ (or a tab or carriage return, which some programs skip
// before reading one of those) would run as a formula. OWASP's advice: start it with a
// single quote, which spreadsheets show as text.
const formulaStart = /^[=+\-@\t\r]/;

export function neutraliseFormula(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}
