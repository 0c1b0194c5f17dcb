// The DID(s) field parser: numbers, ranges and every malformed input the issue names.
import t from "tap";
import { parseDidNumbers } from "../../src/modules/dids/did-numbers.js";

const max = 100_000;

t.test("single numbers separated by newlines, commas, semicolons and spaces", async (t) => {
  const r = parseDidNumbers("380441234567\n+15551234567, 4930123456;  333\r\n\t444", max);
  t.same(r.problems, []);
  t.same(r.numbers, ["380441234567", "15551234567", "4930123456", "333", "444"]);
});

t.test("an inclusive range", async (t) => {
  t.same(parseDidNumbers("111-115", max).numbers, ["111", "112", "113", "114", "115"]);
});

t.test("a range keeps leading zeros", async (t) => {
  t.same(parseDidNumbers("0098-0102", max).numbers, ["0098", "0099", "0100", "0101", "0102"]);
});

t.test("a range of one number, and + on either end", async (t) => {
  t.same(parseDidNumbers("555-555 +777-+778", max).numbers, ["555", "777", "778"]);
});

t.test("20-digit ranges beyond 2^53 are exact", async (t) => {
  const r = parseDidNumbers("99999999999999999998-99999999999999999999", max);
  t.same(r.numbers, ["99999999999999999998", "99999999999999999999"]);
});

t.test("repeats are reported once and removed", async (t) => {
  const r = parseDidNumbers("111-113 112 113 113 999", max);
  t.same(r.numbers, ["111", "112", "113", "999"]);
  t.same(r.repeated.sort(), ["112", "113"]);
});

const malformed: [string, RegExp][] = [
  ["5-1", /lower end first/],
  ["12-1234", /same number of digits/],
  ["1-", /not a valid range/],
  ["-5", /not a valid range/],
  ["1--2", /not a valid range/],
  ["abc", /not a phone number/],
  ["12", /3 to 20 digits/],
  ["123456789012345678901", /3 to 20 digits/],
  ["12-13", /3 to 20 digits/],
  ["555-12a", /not a valid range/],
  ["++555", /not a phone number/],
  ["55 5", /3 to 20 digits/],
];
for (const [input, message] of malformed) {
  t.test(`rejects ${JSON.stringify(input)}`, async (t) => {
    const r = parseDidNumbers(input, max);
    t.same(r.numbers, [], "nothing to create");
    t.match(r.problems.join("\n"), message);
  });
}

t.test("an empty field", async (t) => {
  for (const input of ["", "   \n , ;"]) {
    const r = parseDidNumbers(input, max);
    t.same(r.numbers, []);
    t.match(r.problems[0], /Enter at least one DID/);
  }
});

t.test("a range of ten million is refused without being expanded", async (t) => {
  const started = process.hrtime.bigint();
  const r = parseDidNumbers("380440000000-380449999999", max);
  t.same(r.numbers, []);
  t.match(r.problems.join(), /holds 10,000,000 numbers; at most 100,000/);
  t.ok(process.hrtime.bigint() - started < 1_000_000_000n, "answers at once");
});

t.test("200,000 pasted lines exceed the limit", async (t) => {
  const lines = Array.from({ length: 200_000 }, (_, i) => String(380440000000 + i)).join("\n");
  const r = parseDidNumbers(lines, max);
  t.same(r.numbers, []);
  t.match(r.problems.join(), /holds 200,000 numbers/);
});

t.test("exactly the limit is accepted", async (t) => {
  t.equal(parseDidNumbers("100000-199999", max).numbers.length, 100_000);
  t.match(parseDidNumbers("100000-200000", max).problems.join(), /100,001/);
});

t.test("many bad tokens are summarised", async (t) => {
  const r = parseDidNumbers(Array.from({ length: 25 }, (_, i) => `bad${i}`).join(" "), max);
  t.equal(r.problems.length, 11);
  t.match(r.problems.at(-1), /and 15 more problems/);
});
