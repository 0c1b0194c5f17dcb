// Parses the create form's DID(s) field: numbers and inclusive ranges such as 111-222,
// separated by newlines, commas, semicolons or spaces. Pure, so it is unit-tested alone.
//
// Rules: a number is 3 to 20 digits after an optional leading "+"; a range's ends have the
// same number of digits (leading zeros are kept: 0100-0199 gives 0100, 0101, ...) and the
// lower end comes first. The total is capped before any range is expanded, so a range of
// ten million costs nothing.

export const minDigits = 3;
export const maxDigits = 20;
const maxReportedProblems = 10;

export interface ParsedNumbers {
  /** In input order, repeats removed. */
  numbers: string[];
  /** Numbers given more than once in the input, each listed once. */
  repeated: string[];
  /** Messages about the input; when any, nothing should be created. */
  problems: string[];
}

const numberPattern = /^\+?(\d+)$/;
const rangePattern = /^\+?(\d+)-\+?(\d+)$/;

function lengthProblem(token: string, digits: string): string | undefined {
  if (digits.length < minDigits || digits.length > maxDigits) {
    return `${quote(token)}: a DID has ${minDigits} to ${maxDigits} digits (this has ${digits.length}).`;
  }
  return undefined;
}

function quote(token: string): string {
  return `"${token.length > 45 ? `${token.slice(0, 45)}…` : token}"`;
}

export function parseDidNumbers(input: string, maxNumbers: number): ParsedNumbers {
  const tokens = input.split(/[\s,;]+/).filter((t) => t !== "");
  const problems: string[] = [];
  let extraProblems = 0;
  const report = (message: string) => {
    if (problems.length < maxReportedProblems) problems.push(message);
    else extraProblems++;
  };
  if (tokens.length === 0) {
    return { numbers: [], repeated: [], problems: ["Enter at least one DID number or range, for example 380441234567 or 111-222."] };
  }

  // First pass: check every token and count what it would produce, expanding nothing.
  type Piece = { low: bigint; count: bigint; width: number };
  const pieces: Piece[] = [];
  let total = 0n;
  for (const token of tokens) {
    const single = numberPattern.exec(token);
    if (single) {
      const digits = single[1]!;
      const problem = lengthProblem(token, digits);
      if (problem) report(problem);
      else pieces.push({ low: BigInt(digits), count: 1n, width: digits.length });
      total += 1n;
      continue;
    }
    const range = rangePattern.exec(token);
    if (!range) {
      report(
        /\d-|-\d/.test(token) || token.includes("-")
          ? `${quote(token)} is not a valid range: write two numbers joined by one dash, lower end first, like 111-222.`
          : `${quote(token)} is not a phone number: use digits only, with an optional leading +.`,
      );
      continue;
    }
    const [lowText, highText] = [range[1]!, range[2]!];
    if (lowText.length !== highText.length) {
      report(`${quote(token)}: both ends of a range need the same number of digits (${lowText.length} and ${highText.length} here).`);
      continue;
    }
    // Too long is checked before BigInt: a pasted megabyte of digits must not stall the server.
    if (lowText.length > maxDigits) {
      report(lengthProblem(token, lowText)!);
      continue;
    }
    const low = BigInt(lowText);
    const high = BigInt(highText);
    if (low > high) {
      report(`${quote(token)}: put the lower end first (${highText}-${lowText}).`);
      continue;
    }
    const problem = lengthProblem(token, lowText);
    if (problem) {
      report(problem);
      continue;
    }
    const count = high - low + 1n;
    pieces.push({ low, count, width: lowText.length });
    total += count;
  }
  if (extraProblems > 0) problems.push(`…and ${extraProblems.toLocaleString("en-US")} more problems.`);
  if (total > BigInt(maxNumbers)) {
    problems.push(
      `This input holds ${formatBig(total)} numbers; at most ${maxNumbers.toLocaleString("en-US")} can be created at once. Split it into smaller submissions.`,
    );
  }
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

function formatBig(n: bigint): string {
  return n.toLocaleString("en-US");
}
