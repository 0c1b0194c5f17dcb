// The numbers the routing API is asked about: digits, or E.164 with its "+", nothing else.
// A switch sends what it dialled, so formatting (spaces, dashes, brackets) is a caller's
// bug worth a 400 rather than a guess. The inventory stores digits only (did-numbers.ts).
import { maxDigits, minDigits } from "../dids/did-numbers.js";

/** Most numbers one batch request may ask about. */
export const maxBatchNumbers = 1000;

/** As the OpenAPI document shows it, and as the route's schema checks it. */
export const routeNumberPattern = `^\\+?[0-9]{${minDigits},${maxDigits}}$`;
const routeNumber = new RegExp(routeNumberPattern);

/** The stored form of a number (its digits), or undefined when `value` is not a number. */
export function parseRouteNumber(value: unknown): string | undefined {
  if (typeof value !== "string" || !routeNumber.test(value)) return undefined;
  return value.startsWith("+") ? value.slice(1) : value;
}

/** Why a value is not a number, for the 400 answer; quoted back short and printable. */
export function notANumberMessage(value: unknown): string {
  const shown = typeof value === "string" ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : `a ${value === null ? "null" : typeof value}`;
  return `${shown} is not a number: give ${minDigits} to ${maxDigits} digits, optionally after a "+" (E.164), with no spaces or other signs.`;
}
