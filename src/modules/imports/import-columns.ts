// The map step's first guess: what each column of the file holds, from its header cell.
// Headers are compared without case, spaces or punctuation ("E.164", "after-hold",
// "Hold days" all match); the user corrects the guess before anything is imported.

export const importFields = ["did", "operator", "status", "after_hold", "hold_days", "tag", "notes", "ignore"] as const;
export type ImportField = (typeof importFields)[number];

/** Normalized header names for each field. */
const headerNames: Record<Exclude<ImportField, "ignore">, string[]> = {
  did: ["did", "dids", "didnumber", "number", "numbers", "phone", "phonenumber", "e164"],
  operator: ["operator", "provider", "vendor"],
  status: ["status"],
  after_hold: ["afterhold", "afterholdstatus", "statusafterhold"],
  hold_days: ["holddays", "daysonhold"],
  tag: ["tag", "tags"],
  notes: ["notes", "note", "comment", "comments"],
};

const fieldByHeader = new Map(Object.entries(headerNames).flatMap(([field, names]) => names.map((name) => [name, field as ImportField])));

/** Letters and digits only, lower case: "E.164" -> "e164", "After hold" -> "afterhold". */
function normalizeHeader(header: string): string {
  return header.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
}

/** Guesses each column's meaning from the header cells; a field goes to its first column only, the rest are "ignore". */
export function guessColumnMapping(header: string[]): ImportField[] {
  const taken = new Set<ImportField>();
  return header.map((cell) => {
    const field = fieldByHeader.get(normalizeHeader(cell));
    if (field === undefined || taken.has(field)) return "ignore";
    taken.add(field);
    return field;
  });
}
