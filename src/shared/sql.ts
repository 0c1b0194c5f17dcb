// Small SQL text helpers shared by the repositories and filters.

/** Escapes LIKE/ILIKE wildcards so that user text matches literally (`50%` finds "50%"). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
