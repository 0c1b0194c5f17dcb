// The inventory's filter parser and its SQL: what a URL means, and that input never
// becomes SQL text.
import t from "tap";
import { everything } from "../../src/shared/actor.js";
import { didOrderSql, didWhereSql, listUrl, parseDidListQuery, defaultListQuery } from "../../src/modules/dids/did-filters.js";

t.test("an empty query is the default list", async (t) => {
  const r = parseDidListQuery({});
  t.ok(r.ok);
  t.same(r.query, defaultListQuery);
  t.equal(listUrl(r.query), "/dids");
});

t.test("every filter round-trips through the canonical URL", async (t) => {
  const source = { contains: "555", prefix: "+380441", from: "380440000000", to: "380449999999", status: ["active", "hold"], operator: "3", reseller: "2", tag: "gold", client: "7", notes: "vip", id: "42", batch: "5", sort: "operator", dir: "desc", per: "100", page: "3" };
  const r = parseDidListQuery(source);
  t.ok(r.ok, JSON.stringify(r));
  t.same(r.query.filter, { numberContains: "555", numberPrefix: "380441", numberFrom: "380440000000", numberTo: "380449999999", statuses: ["active", "hold"], operatorId: 3, resellerId: 2, tag: "gold", clientId: 7, notesContains: "vip", id: 42, batchId: 5 });
  const params = new URL(`http://x${listUrl(r.query)}`).searchParams;
  const again = parseDidListQuery(Object.fromEntries([...new Set(params.keys())].map((k) => [k, params.getAll(k).length > 1 ? params.getAll(k) : params.get(k)])));
  t.same(again.query, r.query);
});

t.test("the client: by id, by part of its name, and the search form's shown name", async (t) => {
  const filter = (source: Record<string, unknown>) => parseDidListQuery(source).query.filter;
  t.match(filter({ client_name: "  Hotel " }), { clientName: "Hotel", clientId: undefined }, "a name, trimmed");
  t.equal(listUrl(parseDidListQuery({ client_name: "Hotel 50%" }).query), "/dids?client_name=Hotel+50%25");
  t.match(filter({ client: "7", client_name: "Hotel Dnipro", client_shown: "Hotel Dnipro" }), { clientId: 7, clientName: undefined }, "the name as shown: the id is meant");
  t.match(filter({ client: "7", client_name: "Hostel", client_shown: "Hotel Dnipro" }), { clientId: undefined, clientName: "Hostel" }, "another name replaces the id");
  t.match(filter({ client: "7", client_name: "", client_shown: "Hotel Dnipro" }), { clientId: undefined, clientName: undefined }, "an emptied field drops the client");
  t.match(filter({ client: "7", client_name: "dnipro" }), { clientId: 7, clientName: "dnipro" }, "without a shown name, a URL with both means both");
  t.match(filter({ client_name: "Hotel", client_shown: "Hotel" }), { clientId: undefined, clientName: "Hotel" }, "a shown name without an id is nothing");
  t.equal(listUrl(parseDidListQuery({ client: "7", client_name: "x", client_shown: "x" }).query), "/dids?client=7", "the shown name is not part of the URL");
  const sql = didWhereSql(filter({ client_name: "50%_\\" }), everything);
  t.match(sql.sql, /c\.name ILIKE \?\)/);
  t.same(sql.values, ["%50\\%\\_\\\\%"], "the name is a bound parameter, its wildcards escaped");
  for (const [source, field, message] of [
    [{ client_name: "x".repeat(101) }, "client_name", /at most 100/],
    [{ client_name: "a\u0000" }, "client_name", /control characters/],
    [{ client: "7", client_name: "x", client_shown: ["x", "y"] }, "client_shown", /once/],
  ] as const) {
    const r = parseDidListQuery(source);
    t.notOk(r.ok);
    if (!r.ok) t.match(r.errors[field], message, field);
  }
});

t.test("empty fields are ignored and left out of the canonical URL", async (t) => {
  const r = parseDidListQuery({ contains: "", prefix: " ", operator: "", status: "", per: "" });
  t.ok(r.ok);
  t.equal(listUrl(r.query), "/dids");
});

t.test("number fields take numbers as they are printed", async (t) => {
  const r = parseDidListQuery({ contains: "123 45", prefix: "+380 44", from: "(020) 7183 0000", to: "020.7183.9999" });
  t.ok(r.ok);
  t.match(r.query.filter, { numberContains: "12345", numberPrefix: "38044", numberFrom: "02071830000", numberTo: "02071839999" });
  t.equal(listUrl(r.query), "/dids?contains=12345&prefix=38044&from=02071830000&to=02071839999", "the canonical URL holds the digits");
});

const bad: [Record<string, unknown>, string, RegExp][] = [
  [{ status: "sold" }, "status", /not a DID status/],
  [{ status: ["active", "bogus"] }, "status", /not a DID status/],
  [{ page: "-1" }, "page", /from 1/],
  [{ page: "0" }, "page", /from 1/],
  [{ page: "abc" }, "page", /whole number/],
  [{ per: "100000" }, "per", /one of 25, 50, 100, 500/],
  [{ per: "50.0" }, "per", /one of/],
  [{ id: "12abc" }, "id", /whole number/],
  [{ id: "99999999999" }, "id", /whole number/],
  [{ operator: "x" }, "operator", /whole number/],
  [{ sort: "password" }, "sort", /not a valid sort column/],
  [{ sort: "number; DROP TABLE did" }, "sort", /not a valid/],
  [{ dir: "sideways" }, "dir", /not a valid sort direction/],
  [{ contains: "55a" }, "contains", /digits only/],
  [{ contains: "..." }, "contains", /digits only/],
  [{ prefix: "38-044" }, "prefix", /digits only/],
  [{ prefix: "123456789012345678901" }, "prefix", /1 to 20 digits/],
  [{ from: "12" }, "from", /3 to 20 digits/],
  [{ from: "5000", to: "4000" }, "to", /not be lower/],
  [{ from: "5000", to: "40000" }, "to", /same number of digits/],
  [{ tag: "x".repeat(65) }, "tag", /at most 64/],
  [{ notes: "x".repeat(1001) }, "notes", /at most 1,000/],
  [{ tag: "a\u0000b" }, "tag", /control characters/],
  [{ page: ["1", "2"] }, "page", /once/],
];
for (const [source, field, message] of bad) {
  t.test(`rejects ${JSON.stringify(source).slice(0, 60)}`, async (t) => {
    const r = parseDidListQuery(source);
    t.notOk(r.ok);
    if (!r.ok) t.match(r.errors[field], message);
  });
}

t.test("filter values are bound parameters, never SQL text", async (t) => {
  const r = parseDidListQuery({ tag: "'; DROP TABLE did; --", notes: "50%_off\\", contains: "555" });
  t.ok(r.ok);
  const sql = didWhereSql(r.query.filter, everything);
  t.notMatch(sql.sql, /DROP/);
  t.same(sql.values, ["%555%", "'; DROP TABLE did; --", "%50\\%\\_off\\\\%"]);
});

t.test("from/to compares numbers of one length", async (t) => {
  const r = parseDidListQuery({ from: "380440000000", to: "380449999999" });
  const sql = didWhereSql(r.query.filter, everything);
  t.match(sql.sql, "d.number >= ? AND length(d.number) = ? AND d.number <= ? AND length(d.number) = ?");
  t.same(sql.values, ["380440000000", 12, "380449999999", 12]);
});

t.test("order by comes from a whitelist, with a tie-breaker (by number within an operator)", async (t) => {
  t.equal(didOrderSql("number", "asc").sql, "ORDER BY d.number ASC");
  t.equal(didOrderSql("operator", "desc").sql, "ORDER BY o.name DESC, d.number DESC");
});
