// What a command-line tool prints when it fails: the error's own words, never a bare
// "undefined" (some libraries reject with no value or a non-Error).
export function describeError(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (error instanceof Error) return error.name || "an error with no message";
  if (error === undefined || error === null) return "an error with no message (the cause was not reported)";
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
