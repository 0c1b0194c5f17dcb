// The map step's first guess of what each column holds, from the header row as people write it.
import t from "tap";
import { guessColumnMapping, importFields } from "../../src/modules/imports/import-columns.js";

t.test("the usual header rows", async (t) => {
  t.same(guessColumnMapping(["DID", "Operator", "Status", "Tag", "Notes"]), ["did", "operator", "status", "tag", "notes"]);
  t.same(guessColumnMapping(["DID", "Operator", "Status", "After hold", "Hold days", "Tag", "Notes"]), ["did", "operator", "status", "after_hold", "hold_days", "tag", "notes"]);
});

t.test("other names people give the same columns", async (t) => {
  const cases: [string, string][] = [
    ["Number", "did"],
    ["Phone", "did"],
    ["Phone number", "did"],
    ["E164", "did"],
    ["E.164", "did"],
    ["Provider", "operator"],
    ["Vendor", "operator"],
    ["Comment", "notes"],
    ["Comments", "notes"],
    ["Tags", "tag"],
  ];
  for (const [header, field] of cases) t.same(guessColumnMapping([header]), [field], header);
});

t.test("case, spaces and punctuation do not matter", async (t) => {
  t.same(guessColumnMapping(["  did ", "OPERATOR", "after-hold", "Hold_Days", "notes:", "\uFEFFStatus"]), ["did", "operator", "after_hold", "hold_days", "notes", "status"]);
});

t.test("a field goes to its first column only; unknown and empty headers are ignored", async (t) => {
  t.same(guessColumnMapping(["Number", "DID", "Operator", "Vendor", "Price", "", "Notes", "Comment"]), ["did", "ignore", "operator", "ignore", "ignore", "ignore", "notes", "ignore"]);
});

t.test("every guess is one of the fields the map step offers", async (t) => {
  const guesses = guessColumnMapping(["DID", "Operator", "Status", "After hold", "Hold days", "Tag", "Notes", "x"]);
  t.ok(guesses.every((field) => importFields.includes(field)));
  t.same(guessColumnMapping([]), []);
});
