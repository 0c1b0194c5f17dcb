// Reads DID numbers as people paste them: one number or range per entry, entries
// separated by new lines, commas, semicolons or tabs. Inside one number, spaces, dots and
// brackets are formatting (`+380 44 123 45 67`, `(020) 7183 0000`, `+1.555.010.0000`);
// a dash between two full numbers is a range (`111-222`). The create form reads its
// DID(s) field with parseDidNumbers; an import reads each DID cell with parseDidEntry.
// Pure, so it is unit-tested alone.
//
// Rules: a number is 3 to 20 digits after an optional leading "+" (stored as its digits);
// a range's ends have the same number of digits (leading zeros are kept: 0100-0199 gives
// 0100, 0101, ...) and the lower end comes first. Input whose meaning is unclear (two
// numbers separated by a space, several dashes, "+44 (0)20...", more than 15 digits with
// formatting) gets a message rather than a guess; what cannot be told from a number at
// all (short groups with spaces, "2123-4567") is read as written, and the README says so.
// More entries than the limit are refused before any is read, and the total is capped
// before any range is expanded, so neither a huge paste nor a range of ten million costs
// anything.

import { clip } from "../../shared/field-errors.js";

export const minDigits = 3;
export const maxDigits = 20;
const maxReportedProblems = 10;
/** Two space-separated groups this long are two numbers, not one number's formatting. */
const wholeNumberGroupDigits = 7;
/** E.164: a phone number has at most 15 digits. Longer digit strings are internal numbers, never printed with formatting. */
const maxFormattedDigits = 15;

export interface ParsedNumbers {
  /** In input order, repeats removed. */
  numbers: string[];
  /** Numbers given more than once in the input, each listed once. */
  repeated: string[];
  /** Messages about the input; when any, nothing should be created. */
  problems: string[];
}

/** One entry of the input: a number, an inclusive range, or why it is neither. */
export type DidEntry =
  | { kind: "number"; number: string }
  | { kind: "range"; low: string; high: string; count: bigint }
  | { kind: "problem"; message: string };

/** Between entries: new lines, commas, semicolons, tabs. Never spaces: they format a number. */
export const entrySeparators = /[\n\r,;\t]+/;

const dashes = /[\u2010-\u2015\u2212]/g;
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/;
const formattingAndDigits = /^[\d .()+]*$/;

/** A piece of the input quoted back in a message: short, control characters shown as "?". */
function quoteInput(text: string): string {
  return `“${clip(text, 45)}”`;
}

type Side = { digits: string } | { problem: string };

/** Brackets come in pairs, one level deep, around digits: (020) 7183 0000. */
function bracketsPaired(value: string): boolean {
  let open = false;
  let digitInside = false;
  for (const c of value) {
    if (c === "(") {
      if (open) return false;
      open = true;
      digitInside = false;
    } else if (c === ")") {
      if (!open || !digitInside) return false;
      open = false;
    } else if (open && c >= "0" && c <= "9") digitInside = true;
  }
  return !open;
}

/** Messages name the entry: quoted only when there is something to say. */
type Quote = () => string;
const formattingHint = "use digits, with an optional leading + and spaces, dots or brackets inside a number";

/** One number as written, formatting included: its digits, or what is wrong with it. */
function readNumber(text: string, q: Quote): Side {
  const value = text.trim();
  if (/^\d+(\.\d+)?e\+?\d+$/i.test(value)) {
    return { problem: `${q()} is a number a spreadsheet shortened to scientific notation: its last digits are lost. Format the column as text and export it again.` };
  }
  const digits = value.replace(/\D/g, "");
  if (!formattingAndDigits.test(value) || digits === "") return { problem: `${q()} is not a phone number: ${formattingHint}.` };
  if (value.lastIndexOf("+") > 0) {
    return { problem: `${q()}: a + can only start a number. If these are several numbers, put each on its own line.` };
  }
  if (/^\+?\d+\.0+$/.test(value)) {
    return { problem: `${q()} ends in a decimal .0, as a spreadsheet shows a number: remove it, or format the column as text.` };
  }
  if (/\(\s*0\s*\)/.test(value)) {
    return {
      problem: `${q()}: a (0) is dialled only from inside the country, so the number is unclear. Write it without the (0) in international form (+44 20 7183 0000) or with the 0 in national form (020 7183 0000).`,
    };
  }
  if (!bracketsPaired(value)) return { problem: `${q()}: brackets must come in pairs around digits, like (020) 7183 0000.` };
  if (/(?<![\d)])\.|\.(?![\d(])/.test(value)) return { problem: `${q()}: dots go between digits, as in +1.555.010.0000.` };
  const formatted = /[ .()]/.test(value);
  const longGroups = value.split(" ").filter((group) => group.replace(/\D/g, "").length >= wholeNumberGroupDigits);
  if (longGroups.length >= 2) {
    return { problem: `${q()} looks like several numbers separated by spaces. Put each number on its own line (or separate them with commas); spaces inside a number are only formatting.` };
  }
  if (formatted && digits.length > maxFormattedDigits) {
    return {
      problem: `${q()}: a phone number written with spaces, dots or brackets has at most ${maxFormattedDigits} digits (this has ${digits.length.toLocaleString("en-US")}). If these are several numbers, put each on its own line.`,
    };
  }
  if (digits.length < minDigits || digits.length > maxDigits) {
    return { problem: `${q()}: a DID has ${minDigits} to ${maxDigits} digits (this has ${digits.length.toLocaleString("en-US")}).` };
  }
  return { digits };
}

/** Reads one entry (a number or a range) as a person wrote it. */
export function parseDidEntry(text: string): DidEntry {
  const entry = text.trim();
  const q: Quote = () => quoteInput(entry);
  if (controlCharacters.test(entry)) {
    return { kind: "problem", message: `${q()} contains a control character (shown as ?). Remove it.` };
  }
  // Every kind of space (no-break, thin) formats alike; so do the dashes word processors make.
  const normalized = entry.replace(/\s+/g, " ").replace(dashes, "-");
  const parts = normalized.split("-");
  if (parts.length === 1) {
    const single = readNumber(normalized, q);
    return "problem" in single ? { kind: "problem", message: single.problem } : { kind: "number", number: single.digits };
  }
  if (parts.length > 2) {
    return { kind: "problem", message: `${q()} has more than one dash. A range is two full numbers joined by one dash (111-222); inside a number, use spaces or dots, not dashes.` };
  }
  const [lowText, highText] = parts as [string, string];
  if (lowText.trim() === "" || highText.trim() === "") {
    return { kind: "problem", message: `${q()} is not a valid range: write two full numbers joined by one dash, lower end first, like 111-222.` };
  }
  const low = readNumber(lowText, q);
  const high = readNumber(highText, q);
  const lengths = [lowText, highText].map((side) => side.replace(/\D/g, "").length) as [number, number];
  // One full number and a short one (380441234567-68): a range written the short way.
  const onlyDigitsAndFormatting = formattingAndDigits.test(lowText) && formattingAndDigits.test(highText);
  if (onlyDigitsAndFormatting && ("digits" in low || "digits" in high) && Math.min(...lengths) < minDigits && lengths[0] !== lengths[1]) {
    return { kind: "problem", message: sameLengthMessage(q, lengths) };
  }
  if ("problem" in low) return { kind: "problem", message: low.problem };
  if ("problem" in high) return { kind: "problem", message: high.problem };
  if (low.digits.length !== high.digits.length) return { kind: "problem", message: sameLengthMessage(q, lengths) };
  const [lowValue, highValue] = [BigInt(low.digits), BigInt(high.digits)];
  if (lowValue > highValue) {
    return { kind: "problem", message: `${q()}: put the lower end first (${high.digits}-${low.digits}).` };
  }
  return { kind: "range", low: low.digits, high: high.digits, count: highValue - lowValue + 1n };
}

function sameLengthMessage(q: Quote, [low, high]: [number, number]): string {
  return `${q()}: both ends of a range are full numbers with the same number of digits (${low} and ${high} here), like 380441234500-380441234599. If this is one number written with a dash, leave the dash out.`;
}

/** Reads the create form's DID(s) field: every entry checked before any range is expanded. */
export function parseDidNumbers(input: string, maxNumbers: number): ParsedNumbers {
  const entries = input.split(entrySeparators).filter((entry) => entry.trim() !== "");
  if (entries.length === 0) {
    return { numbers: [], repeated: [], problems: ["Enter at least one DID number or range, for example 380441234567 or 111-222."] };
  }
  // Every entry is at least one number: too many entries are refused before any is read.
  if (entries.length > maxNumbers) return { numbers: [], repeated: [], problems: [tooMany(BigInt(entries.length), maxNumbers, "at least ")] };
  const problems: string[] = [];
  let extraProblems = 0;
  const pieces: { low: bigint; count: bigint; width: number }[] = [];
  let total = 0n;
  for (const text of entries) {
    const entry = parseDidEntry(text);
    if (entry.kind === "problem") {
      if (problems.length < maxReportedProblems) problems.push(entry.message);
      else extraProblems++;
    } else if (entry.kind === "number") {
      pieces.push({ low: BigInt(entry.number), count: 1n, width: entry.number.length });
      total += 1n;
    } else {
      pieces.push({ low: BigInt(entry.low), count: entry.count, width: entry.low.length });
      total += entry.count;
    }
  }
  if (extraProblems > 0) problems.push(`…and ${extraProblems.toLocaleString("en-US")} more problems.`);
  if (total > BigInt(maxNumbers)) problems.push(tooMany(total, maxNumbers));
  if (problems.length > 0) return { numbers: [], repeated: [], problems };

  const seen = new Set<string>();
  const repeated = new Set<string>();
  const numbers: string[] = [];
  for (const piece of pieces) {
    for (let i = 0n; i < piece.count; i++) {
      const number = (piece.low + i).toString().padStart(piece.width, "0");
      if (seen.has(number)) repeated.add(number);
      else {
        seen.add(number);
        numbers.push(number);
      }
    }
  }
  return { numbers, repeated: [...repeated], problems: [] };
}

function tooMany(total: bigint, maxNumbers: number, atLeast = ""): string {
  return `This input holds ${atLeast}${total.toLocaleString("en-US")} numbers; at most ${maxNumbers.toLocaleString("en-US")} can be created at once. Split it into smaller submissions.`;
}
