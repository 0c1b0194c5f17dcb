// CSV and TSV text: what the first megabyte tells (UTF-16, binary, encoding, delimiter),
// and a streaming reader (file -> decoder -> csv-parse), so a million rows take seconds
// and little memory.
import { createReadStream } from "node:fs";
import { pipeline, Transform, type TransformCallback } from "node:stream";
import { CsvError, parse } from "csv-parse";
import iconv from "iconv-lite";
import { CellWarnings } from "./import-cells.js";
import { ImportFileError, type CsvDelimiter, type ImportRow, type TextEncoding } from "./import-file-types.js";

/** No sane record is longer; an unclosed quote would otherwise swallow the whole file into one. */
const maxRecordChars = 1_000_000;
const batchRecords = 1000;
const utf8Bom = Buffer.from([0xef, 0xbb, 0xbf]);
const saveAsUtf8 = "save it as “CSV UTF-8” and upload it again";

/** What the first bytes of a text file tell; throws for UTF-16, binary or blank content. */
export function inspectText(head: Buffer): { encoding: TextEncoding; delimiter: CsvDelimiter } {
  if (looksLikeUtf16(head)) throw new ImportFileError(`This looks like a UTF-16 text file. Open it in Excel or LibreOffice, ${saveAsUtf8}.`);
  if (head.includes(0)) {
    throw new ImportFileError("This file is not text: it holds binary data. Upload a CSV file, or an Excel workbook named .xlsx or .xls.");
  }
  const encoding = detectEncoding(head);
  const text = encoding === "utf-8" ? head.toString("utf8") : iconv.decode(head, "windows-1252");
  if (text.replace(/^\uFEFF/, "").trim() === "") throw new ImportFileError("The file is empty.");
  return { encoding, delimiter: sniffDelimiter(text) };
}

/** A byte-order mark, or a NUL in every other byte (ASCII text in UTF-16 without one). */
function looksLikeUtf16(head: Buffer): boolean {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return true;
  const pairs = Math.floor(Math.min(head.length, 4096) / 2);
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    if (head[i] === 0) evenNuls++;
    if (head[i + 1] === 0) oddNuls++;
  }
  return pairs > 0 && Math.max(evenNuls, oddNuls) >= pairs / 2 && Math.min(evenNuls, oddNuls) < pairs / 20;
}

/**
 * UTF-8 when the sample is valid UTF-8 (ASCII is too), else Windows-1252, what Excel on a
 * Western Windows writes as "CSV". A UTF-8 byte-order mark means UTF-8 whatever follows.
 */
function detectEncoding(head: Buffer): TextEncoding {
  if (head.subarray(0, 3).equals(utf8Bom)) return "utf-8";
  try {
    // stream: true, because the sample may end in the middle of a character.
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return "utf-8";
  } catch {
    return "windows-1252";
  }
}

/** The first non-blank line's most frequent delimiter outside quotes; ties go to tab, then ";", then ",". */
export function sniffDelimiter(text: string): CsvDelimiter {
  const counts: Record<CsvDelimiter, number> = { "\t": 0, ";": 0, ",": 0 };
  let quoted = false;
  let lineHasText = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "\n" || c === "\r")) {
      if (lineHasText) break;
      counts["\t"] = 0; // a blank line's tabs say nothing
    } else if (!quoted && c in counts) counts[c as CsvDelimiter]++;
    if (c.trim() !== "" && c !== "\uFEFF") lineHasText = true;
  }
  // sort() is stable: equal counts keep this order of preference.
  const [best] = (["\t", ";", ","] as const).filter((d) => counts[d] > 0).sort((a, b) => counts[b] - counts[a]);
  // No delimiter at all: one column, which any delimiter reads.
  return best ?? ",";
}

/** The decoder found bytes that are not UTF-8. `restartable` when everything before them was ASCII. */
class NotUtf8 extends Error {
  constructor(readonly restartable: boolean) {
    super("not UTF-8");
  }
}

/**
 * Checks UTF-8 as it streams and passes the bytes on (csv-parse decodes them). The first
 * megabyte chose UTF-8; when a later byte is not UTF-8 and every character before it was
 * ASCII, the file is Windows-1252 after all: ASCII reads the same in both, so the reader
 * can start again as Windows-1252 and skip the rows it already gave. Otherwise the file
 * mixes encodings and no reading is right.
 */
class Utf8Check extends Transform {
  // ignoreBOM: a byte-order mark comes out as a character, so it counts as non-ASCII.
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  private onlyAscii = true;

  constructor(private readonly mayRestart: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.check(() => this.decoder.decode(chunk, { stream: true }), callback, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.check(() => this.decoder.decode(), callback);
  }

  private check(decode: () => string, callback: TransformCallback, chunk?: Buffer): void {
    let text: string;
    try {
      text = decode();
    } catch {
      callback(new NotUtf8(this.mayRestart && this.onlyAscii));
      return;
    }
    // Only the decoded text counts: a character cut at the chunk's end is not decided yet.
    if (this.onlyAscii && /[^\x00-\x7f]/.test(text)) this.onlyAscii = false;
    callback(null, chunk);
  }
}

function decoder(encoding: TextEncoding, mayRestart: boolean): Transform {
  return encoding === "utf-8" ? new Utf8Check(mayRestart) : (iconv.decodeStream("windows-1252") as Transform);
}

export interface CsvSettings {
  delimiter: CsvDelimiter;
  encoding: TextEncoding;
  /** The encoding was detected, not chosen: a late non-UTF-8 byte may switch to Windows-1252. */
  detected: boolean;
}

/** Every record, blank ones included, numbered from 1, in batches. */
export async function* readCsvRows(path: string, settings: CsvSettings, warnings: CellWarnings): AsyncGenerator<ImportRow[]> {
  // The last row handed out: the caller has taken every row of a batch before it asks for the next.
  let lastRow = 0;
  try {
    for await (const batch of parseCsv(path, settings.delimiter, settings.encoding, settings.detected)) {
      yield batch;
      lastRow = batch.at(-1)?.row ?? lastRow;
    }
  } catch (error) {
    if (!(error instanceof NotUtf8)) throw error;
    if (!error.restartable) throw new ImportFileError(notUtf8Message(lastRow, settings.detected));
    warnings.add(lastRow + 1, 0, "encoding", `After row ${lastRow.toLocaleString("en-US")}, the file has characters that are not UTF-8: the whole file was read as Windows-1252.`);
    for await (const batch of parseCsv(path, settings.delimiter, "windows-1252", false)) {
      const unseen = batch.filter((row) => row.row > lastRow);
      if (unseen.length > 0) yield unseen;
    }
  }
}

function notUtf8Message(lastRow: number, detected: boolean): string {
  const where = lastRow === 0 ? "The file" : `The text after row ${lastRow.toLocaleString("en-US")}`;
  return detected
    ? `${where} is not valid UTF-8, although the text before it is: the file mixes text encodings. Open it in Excel or LibreOffice, ${saveAsUtf8}.`
    : `${where} is not valid UTF-8. Choose the Windows-1252 encoding, or ${saveAsUtf8}.`;
}

async function* parseCsv(path: string, delimiter: CsvDelimiter, encoding: TextEncoding, mayRestart: boolean): AsyncGenerator<ImportRow[]> {
  const parser = parse({ delimiter, relax_column_count: true, relax_quotes: true, bom: true, max_record_size: maxRecordChars });
  const batches = new Batches();
  // Errors reach the loop below through the last stream, which pipeline destroys with them.
  pipeline(createReadStream(path), decoder(encoding, mayRestart), parser, batches, () => {});
  let row = 0;
  try {
    for await (const records of batches as AsyncIterable<string[][]>) yield records.map((cells) => ({ row: ++row, cells }));
  } catch (error) {
    throw csvError(error);
  }
}

/**
 * Groups records into arrays: an await per batch instead of one per record, which costs
 * more than the parsing itself wherever promises are watched (async hooks, as under tap).
 */
class Batches extends Transform {
  private batch: string[][] = [];

  constructor() {
    super({ objectMode: true });
  }

  override _transform(record: string[], _encoding: BufferEncoding, callback: TransformCallback): void {
    this.batch.push(record);
    if (this.batch.length >= batchRecords) {
      this.push(this.batch);
      this.batch = [];
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.batch.length > 0) this.push(this.batch);
    callback();
  }
}

/** csv-parse's errors, told in the user's terms; anything else goes on as it is. */
function csvError(error: unknown): unknown {
  if (!(error instanceof CsvError)) return error;
  const line = typeof error.lines === "number" ? ` (line ${error.lines.toLocaleString("en-US")})` : "";
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return new ImportFileError(`A quoted value is never closed${line}: a quote (") is missing. Check the quotes in the file.`);
    case "CSV_MAX_RECORD_SIZE":
      return new ImportFileError(`A row is longer than ${maxRecordChars.toLocaleString("en-US")} characters${line}: most likely a quote (") is not closed. Check the quotes in the file.`);
    default:
      return new ImportFileError(`The file is not valid CSV${line}: check its quotes. A value with quotes or delimiters inside is written in quotes as a whole, with each inner quote doubled.`);
  }
}
