// The DID status rules as a table of cases: every current status, assigned or not, and
// every status a person might set. The SQL form of the rules (used by mass edit) is
// checked against the same table in test/db/did-status-rules-sql.test.ts.
import t from "tap";
import { deleteRefusal, manualStatusChoices, manualStatusRefusal, manualStatusRefusalCode } from "../../src/modules/dids/did-status-rules.js";
import type { DidStatus } from "../../src/modules/dids/did-filters.js";

// [current status, assigned?, next status, expected refusal code or "ok"]
type Case = [DidStatus, boolean, DidStatus, string];
const cases: Case[] = [
  // Unassigned: in stock, reserved, blocked, archive by hand; never active or hold.
  ["in_stock", false, "reserved", "ok"],
  ["in_stock", false, "blocked", "ok"],
  ["in_stock", false, "archive", "ok"],
  ["reserved", false, "in_stock", "ok"],
  ["archive", false, "in_stock", "ok"],
  ["blocked", false, "in_stock", "ok"],
  ["in_stock", false, "active", "needs-assignment"],
  ["in_stock", false, "hold", "needs-assignment"],
  ["reserved", false, "active", "needs-assignment"],
  // Assigned: active <-> blocked by hand, nothing else until released.
  ["active", true, "blocked", "ok"],
  ["blocked", true, "active", "ok"],
  ["active", true, "in_stock", "assigned"],
  ["active", true, "reserved", "assigned"],
  ["active", true, "archive", "assigned"],
  ["blocked", true, "archive", "assigned"],
  ["active", true, "hold", "assigned"],
  // On hold: only the end of the hold (or a release) moves it.
  ["hold", true, "active", "on-hold"],
  ["hold", true, "blocked", "on-hold"],
  ["hold", true, "in_stock", "on-hold"],
  ["hold", false, "in_stock", "on-hold"],
  // Keeping the status is always allowed (an edit of other fields).
  ["hold", true, "hold", "ok"],
  ["active", true, "active", "ok"],
  ["active", false, "active", "ok"],
];

t.test("a person setting a status", async (t) => {
  for (const [current, assigned, next, expected] of cases) {
    t.equal(manualStatusRefusalCode(current, assigned, next) ?? "ok", expected, `${current}${assigned ? " (assigned)" : ""} → ${next}`);
  }
});

t.test("refusals name their reason and the client / account", async (t) => {
  const did = { number: "380441234567", status: "active" as const, clientAccountId: 7, clientName: "Hotel", accountName: "desk" };
  t.match(manualStatusRefusal(did, "in_stock"), { code: "assigned", message: /DID 380441234567 is assigned to Hotel \/ desk: by hand it can only be active or blocked until it is released/ });
  t.match(manualStatusRefusal({ ...did, status: "hold" }, "active"), { code: "on-hold", message: /on hold after Hotel \/ desk's package ended/ });
  t.match(manualStatusRefusal({ ...did, clientAccountId: null, status: "in_stock" }, "active"), { code: "needs-assignment", message: /Only a DID assigned to a client account can be active/ });
  t.equal(manualStatusRefusal(did, "blocked"), undefined);
});

t.test("delete: only unassigned DIDs", async (t) => {
  t.equal(deleteRefusal({ number: "1", status: "blocked", clientAccountId: null }), undefined);
  t.match(deleteRefusal({ number: "1", status: "active", clientAccountId: 3, clientName: "A", accountName: "b" }), { code: "assigned-delete", message: /assigned to A \/ b\. Release it/ });
});

t.test("the choices offered for a DID follow the same table", async (t) => {
  t.same(manualStatusChoices({ status: "in_stock", clientAccountId: null }), ["in_stock", "reserved", "blocked", "archive"]);
  t.same(manualStatusChoices({ status: "active", clientAccountId: 1 }), ["blocked", "active"]);
  t.same(manualStatusChoices({ status: "hold", clientAccountId: 1 }), ["hold"]);
});
