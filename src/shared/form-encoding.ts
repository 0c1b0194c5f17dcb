// Form bodies and query strings (application/x-www-form-urlencoded), decoded strictly. The
// usual parsers keep a value they cannot decode as it was sent, so `notes=%FF%FE` would be
// stored as the text "%FF%FE". Here such a value becomes an UndecodableText, which every
// field reader refuses with a message at its field.

/** A value that was not valid percent-encoded UTF-8 (`%FF`, `%zz`). */
export class UndecodableText {
  constructor(readonly sent: string) {}
}

export type FormValue = string | UndecodableText;
export type FormFields = Record<string, FormValue | FormValue[]>;

function decode(text: string): FormValue {
  if (!text.includes("%") && !text.includes("+")) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return new UndecodableText(text);
  }
}

export function parseFormEncoded(text: string): FormFields {
  // No prototype: a field named __proto__ or constructor is just a field.
  const fields: FormFields = Object.create(null) as FormFields;
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const name = decode(equals < 0 ? pair : pair.slice(0, equals));
    // A name that cannot be read belongs to no field anyone asks for.
    if (name instanceof UndecodableText) continue;
    const value = decode(equals < 0 ? "" : pair.slice(equals + 1));
    const before = fields[name];
    if (before === undefined) fields[name] = value;
    else if (Array.isArray(before)) before.push(value);
    else fields[name] = [before, value];
  }
  return fields;
}
