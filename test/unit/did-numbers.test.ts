import t from "tap";
import { parseDidNumbers } from "../../src/modules/dids/did-numbers.js";

t.test("a single range", async (t) => {
  const r = parseDidNumbers("111-113", 100);
  t.same(r.numbers, ["111", "112", "113"]);
});
