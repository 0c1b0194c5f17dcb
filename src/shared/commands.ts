// Parse at the edge: a route turns a request body into a typed command (or the form as
// typed, with a message per field), and services take only commands. Checks that need
// the database (a name taken, a reseller that exists) stay in the service, which answers
// with an outcome that the route maps to HTTP.
import type { FieldErrors } from "./field-errors.js";

export type Parsed<Command, Form> = { ok: true; command: Command } | { ok: false; form: Form; errors: FieldErrors };
