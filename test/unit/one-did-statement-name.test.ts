// The names under which pages that name one DID are prepared: one per statement text (its
// hash), never reused for another text, and no more than 50 (then unnamed), so that no connection
// gathers prepared statements without end.
import { createHash } from "node:crypto";
import t from "tap";
import { oneDidStatementName } from "../../src/modules/dids/dids.repo.js";

t.test("one name per text, at most 50", async (t) => {
  const first = oneDidStatementName("SELECT 1 -- text 0");
  t.match(first, /^did-page-one-[0-9a-f]{40}$/, "named by the hash of its text");
  t.equal(oneDidStatementName("SELECT 1 -- text 0"), first, "the same text: the same name");
  t.equal(first, `did-page-one-${createHash("sha1").update("SELECT 1 -- text 0").digest("hex")}`, "the same in every process, and after a restart");
  const names = new Set([first]);
  for (let i = 1; i < 50; i++) names.add(oneDidStatementName(`SELECT 1 -- text ${i}`));
  t.equal(names.size, 50, "fifty texts, fifty names");
  t.notOk(names.has(undefined), "every one of them named");
  t.equal(oneDidStatementName("SELECT 1 -- text 50"), undefined, "the fifty-first text runs unnamed");
  t.equal(oneDidStatementName("SELECT 1 -- text 50"), undefined, "and stays so");
  t.equal(oneDidStatementName("SELECT 1 -- text 7"), oneDidStatementName("SELECT 1 -- text 7"), "the named ones keep their names");
  t.match(oneDidStatementName("SELECT 1 -- text 49"), /^did-page-one-[0-9a-f]{40}$/);
});
