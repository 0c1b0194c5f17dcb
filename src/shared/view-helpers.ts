// Small pure helpers for templates: numbers, plurals, dates.
import { statusLabels, type DidStatus } from "../modules/dids/did-filters.js";

const numberFormat = new Intl.NumberFormat("en-US");

/** The field names the writers record in audit events, as the audit page shows them. */
const auditFieldLabels: Record<string, string> = {
  number: "Number",
  operator: "Operator",
  status: "Status",
  after_hold_status: "After hold",
  hold_days: "Hold days",
  tag: "Tag",
  notes: "Notes",
  name: "Name",
  reseller: "Reseller",
  client: "Client",
  package: "Package",
  start_date: "Start date",
  end_date: "End date",
  username: "Username",
  role: "Role",
  disabled: "Disabled",
  ip: "IP address",
  reason: "Reason",
  file: "File",
  rows: "Rows",
  created: "Created",
  rejected: "Rejected",
  skipped: "Skipped",
  did_limit: "DID limit",
  allowed_tags: "Allowed tags",
  default_hold_days: "Default hold days",
  rate_limit: "Rate limit",
  allowed_networks: "Allowed addresses",
  state: "State",
};

export const viewHelpers = {
  count: (n: number) => numberFormat.format(n),
  /** A file size as people read it: 512 bytes, 3.4 KB, 48.2 MB. */
  bytes: (size: number | bigint) => {
    const n = Number(size);
    if (n < 1024) return `${numberFormat.format(n)} bytes`;
    return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1024 * 1024)).toFixed(1)} MB`;
  },
  plural: (n: number, one: string, many: string) => `${numberFormat.format(n)} ${n === 1 ? one : many}`,
  /**
   * An estimate, worded so that it never reads as a count: "about 10.0 million", "about
   * 250,000" (two significant digits below a million).
   */
  about: (n: number) => `about ${n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)} million` : numberFormat.format(Number(n.toPrecision(2)))}`,
  statusLabel: (status: string) => statusLabels[status as DidStatus] ?? status,
  /** Attributes marking a field invalid and pointing at its message (printed raw: no user text). */
  invalid: (errors: Record<string, string> | undefined, field: string) =>
    errors?.[field] ? ` aria-invalid="true" aria-describedby="${field}-error"` : "",
  selected: (on: boolean) => (on ? " selected" : ""),
  checked: (on: boolean) => (on ? " checked" : ""),
  /** Long notes are cut in the table; the edit page shows them whole. */
  truncate: (text: string | null | undefined, max: number) => (!text ? "" : [...text].length > max ? `${[...text].slice(0, max).join("")}…` : text),
  /** Input echoed back into a field: control characters (a NUL from a URL, say) shown as "?". */
  visible: (text: string | null | undefined) => (text ?? "").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, "?"),
  dateTime: (date: Date | null | undefined) => (date ? date.toISOString().replace("T", " ").slice(0, 16) + " UTC" : ""),
  /** To the second, for the audit log where order within a minute matters. */
  dateTimeSeconds: (date: Date | null | undefined) => (date ? date.toISOString().replace("T", " ").slice(0, 19) : ""),
  /** The name of a changed field as a person reads it ("after_hold_status" -> "After hold"). */
  fieldLabel: (field: string) => auditFieldLabels[field] ?? field,
  /** A value of an audit event's change; statuses by their labels. */
  fieldValue: (field: string, value: unknown) => viewHelpers.changeValue(field === "status" || field === "after_hold_status" ? (statusLabels[value as DidStatus] ?? value) : value),
  /** A value of an audit event's change: an em dash for nothing, long text cut (the page offers the whole). */
  changeValue: (value: unknown, max = 60) => {
    if (value === null || value === undefined || value === "") return "—";
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return [...text].length > max ? `${[...text].slice(0, max).join("")}…` : text;
  },
};
