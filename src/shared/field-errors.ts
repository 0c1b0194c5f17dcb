// Field-level validation shared by every form and query parser: each reader returns the
// value or records a message under the field's name, so a page can show all problems at
// once, each next to its field.
import { UndecodableText } from "./form-encoding.js";

export type FieldErrors = Record<string, string>;

const undecodable = "This field arrived with characters that are not valid text (bad %-encoding or not UTF-8). Retype it.";

export class FieldReader {
  readonly errors: FieldErrors = {};

  constructor(private readonly source: Record<string, unknown>) {}

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  fail(field: string, message: string): undefined {
    this.errors[field] ??= message;
    return undefined;
  }

  /** One value; a field given twice is an error rather than a silent pick. */
  raw(field: string): string | undefined {
    const value = this.source[field];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return this.fail(field, "Give this field once.");
    if (value instanceof UndecodableText) return this.fail(field, undecodable);
    if (typeof value !== "string") return this.fail(field, "This field must be text.");
    return value;
  }

  /** All values of a repeatable field (checkboxes, multi-selects). */
  list(field: string): string[] {
    const value = this.source[field];
    if (value === undefined) return [];
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => v instanceof UndecodableText)) this.fail(field, undecodable);
    return values.filter((v): v is string => typeof v === "string" && v !== "");
  }

  /** Free text, trimmed; empty becomes undefined. Stored as typed otherwise. */
  text(field: string, label: string, maxLength: number, options: { multiline?: boolean; required?: boolean } = {}): string | undefined {
    const value = this.raw(field)?.trim();
    if (value === undefined || value === "") {
      return options.required ? this.fail(field, `${label} is required.`) : undefined;
    }
    if ([...value].length > maxLength) {
      return this.fail(field, `${label} can be at most ${maxLength.toLocaleString("en-US")} characters (this one has ${[...value].length.toLocaleString("en-US")}).`);
    }
    // PostgreSQL cannot store NUL, and other control characters are paste accidents.
    const forbidden = options.multiline ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
    if (forbidden.test(value)) return this.fail(field, `${label} contains control characters; remove them.`);
    return value;
  }

  /** A positive database id; empty becomes undefined. */
  id(field: string, label: string, options: { required?: boolean } = {}): number | undefined {
    const value = this.raw(field)?.trim();
    if (value === undefined || value === "") {
      return options.required ? this.fail(field, `Choose ${label}.`) : undefined;
    }
    return parseId(value) ?? this.fail(field, `${label[0]?.toUpperCase()}${label.slice(1)} must be a whole number ID, not "${clip(value)}".`);
  }

  integer(field: string, label: string, min: number, max: number, fallback?: number): number | undefined {
    const value = this.raw(field)?.trim();
    if (value === undefined || value === "") return fallback;
    if (!/^-?\d{1,10}$/.test(value)) return this.fail(field, `${label} must be a whole number, not "${clip(value)}".`);
    const n = Number(value);
    if (n < min || n > max) return this.fail(field, `${label} must be from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}.`);
    return n;
  }

  oneOf<T extends string>(field: string, label: string, allowed: readonly T[], fallback?: T): T | undefined {
    const value = this.raw(field)?.trim();
    if (value === undefined || value === "") return fallback ?? this.fail(field, `Choose ${label}.`);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    return this.fail(field, `"${clip(value)}" is not a valid ${label}.`);
  }

  /** A calendar day as YYYY-MM-DD (what a date input sends); empty becomes undefined. */
  date(field: string, label: string, options: { required?: boolean } = {}): string | undefined {
    const value = this.raw(field)?.trim();
    if (value === undefined || value === "") return options.required ? this.fail(field, `${label} is required.`) : undefined;
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
    // 2024-02-30 parses as March 1st: only a day that reads back the same is a real one.
    if (!day || day.toISOString().slice(0, 10) !== value) return this.fail(field, `${label} must be a date as YYYY-MM-DD, not "${clip(value)}".`);
    if (value < "2000-01-01" || value > "2199-12-31") return this.fail(field, `${label} must be between 2000 and 2199.`);
    return value;
  }

  /** A ticked checkbox sends a non-empty string; anything else (absent, "", "0") is unticked. */
  checkbox(field: string): boolean {
    const value = this.source[field];
    return typeof value === "string" && value !== "" && value !== "0" && value !== "false";
  }
}

const maxId = 2_147_483_647;

export function parseId(value: string): number | undefined {
  if (!/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= maxId ? n : undefined;
}

/** Shortens user input quoted back in a message. */
export function clip(value: string, max = 40): string {
  // Control characters (a NUL from a URL, say) are shown as "?" rather than echoed.
  const visible = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return visible.length > max ? `${visible.slice(0, max)}…` : visible;
}
