// `npm run db:seed -- [--dids 100000] [--reset]`: fills the database (DATABASE_URL, or the
// embedded server) with realistic demo data: 5 resellers, 50 operators, about 20 clients
// with their accounts, and N DIDs in several countries' number formats. The DIDs come in
// contiguous blocks per operator, as carriers sell them. Also used by the benchmark
// (test/bench/bench.ts) through seedDemoData().
//
// Speed: the DIDs are generated inside PostgreSQL by one INSERT ... SELECT over
// generate_series (nothing row by row crosses the wire). While the table is being filled,
// its secondary indexes and foreign keys are dropped and then re-created from their own
// stored definitions (pg_get_indexdef / pg_get_constraintdef), all in one transaction:
// building an index once is much cheaper than maintaining it a million times, and the
// migration stays the single source of what the indexes are.
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { loadConfig } from "../config.js";
import { describeError } from "../shared/describe-error.js";
import { openDatabase } from "./database.js";

export const maxSeedDids = 20_000_000;
export const defaultSeedDids = 100_000;

export interface SeedOptions {
  dids: number;
  /** Empty the inventory tables first. Without it, a database holding data is refused. */
  reset?: boolean;
  log?: (message: string) => void;
  /** Seed of the pseudo-random generator: the same seed gives the same data. */
  randomSeed?: number;
}

export interface SeedSummary {
  resellers: number;
  operators: number;
  clients: number;
  clientAccounts: number;
  dids: number;
  blocks: number;
  byStatus: Record<string, number>;
  byCountry: Record<string, number>;
  tagged: number;
  withNotes: number;
  timings: { insertMs: number; indexesMs: number; vacuumAnalyzeMs: number; totalMs: number };
  /** --reset: users bound to a demo reseller, which was kept for them and filled afresh. */
  keptUsers: { username: string; reseller: string }[];
}

/** Thrown when the database already holds inventory data and no reset was asked for. */
export class SeedRefusedError extends Error {}

// ---------------------------------------------------------------------------------------
// The demo world: resellers, operators (with their country), clients and accounts.

type CountryCode = "UA" | "US" | "CA" | "UK" | "DE" | "FR";

interface Area {
  country: CountryCode;
  /** Country code plus area or service code, e.g. "38044" (Kyiv). */
  prefix: string;
  /** Digits after the prefix. */
  width: number;
  /** First and last local number to hand out (keeps numbering-plan-like shapes). */
  start: number;
  end: number;
  tollFree?: boolean;
}

function area(country: CountryCode, prefix: string, width: number, start: number, end = 10 ** width - 1, tollFree = false): Area {
  return { country, prefix, width, start, end, tollFree };
}

// Ukraine 380 + 9 digits (12), North America 1 + 10 (11), UK 44 + 10 (12),
// Germany 49 + 10 or 11 (12 or 13), France 33 + 9 (11).
const areas: Area[] = [
  area("UA", "38044", 7, 1_000_000), // Kyiv: 380 44 1xx xx xx first, so "380441" is well populated
  area("UA", "38032", 7, 2_000_000), // Lviv
  area("UA", "38048", 7, 7_000_000), // Odesa
  area("UA", "38057", 7, 7_000_000), // Kharkiv
  area("UA", "38056", 7, 3_000_000), // Dnipro
  area("UA", "38089", 7, 0), // non-geographic (VoIP)
  area("US", "1212", 7, 2_000_000), // New York
  area("US", "1646", 7, 2_000_000),
  area("US", "1415", 7, 2_000_000), // San Francisco
  area("US", "1312", 7, 2_000_000), // Chicago
  area("US", "1305", 7, 2_000_000), // Miami
  area("US", "1713", 7, 2_000_000), // Houston
  area("US", "1800", 7, 2_000_000, 9_999_999, true), // toll-free
  area("US", "1888", 7, 2_000_000, 9_999_999, true), // toll-free
  area("CA", "1416", 7, 2_000_000), // Toronto
  area("CA", "1604", 7, 2_000_000), // Vancouver
  area("CA", "1514", 7, 2_000_000), // Montreal
  area("UK", "4420", 8, 30_000_000, 89_999_999), // London 020 3xxx ... 8xxx
  area("UK", "44161", 7, 2_000_000), // Manchester
  area("UK", "44121", 7, 2_000_000), // Birmingham
  area("UK", "44131", 7, 2_000_000), // Edinburgh
  area("UK", "44800", 7, 0, 9_999_999, true), // toll-free 0800
  // Berlin stops below 4930 99xx xxxx: the benchmark creates its test range there.
  area("DE", "4930", 8, 20_000_000, 98_999_999), // Berlin (10 national digits)
  area("DE", "4940", 8, 20_000_000), // Hamburg
  area("DE", "4989", 8, 20_000_000), // Munich
  area("DE", "49221", 8, 10_000_000), // Cologne (11 national digits)
  area("DE", "49211", 8, 10_000_000), // Düsseldorf (11)
  area("DE", "4969", 9, 100_000_000), // Frankfurt (11)
  area("FR", "331", 8, 40_000_000), // Paris 01
  area("FR", "334", 8, 70_000_000), // Lyon / south-east 04
  area("FR", "335", 8, 50_000_000), // Bordeaux / south-west 05
  area("FR", "332", 8, 30_000_000), // Nantes / north-west 02
  area("FR", "339", 8, 70_000_000), // non-geographic 09 (VoIP)
];

/** Numbers the seed never makes (see Berlin above): the benchmark creates its range here. */
export const benchRangePrefix = "493099";

const resellerNames = ["Dnipro Telecom Group", "Atlantic Voice Wholesale", "Thames Numbering Ltd", "Spree Connect GmbH", "Lumière Télécom SAS"];

// [name, country, reseller index]: mostly home-market carriers, a few cross-border ones.
const operatorDefs: [string, CountryCode, number][] = [
  ["Kyiv Digital Telecom", "UA", 0], ["UkrNet Voice", "UA", 0], ["Carpathian Telecom", "UA", 0], ["Black Sea Communications", "UA", 0],
  ["Dnipro Fiber", "UA", 0], ["Slavutych Telecom", "UA", 0], ["Podillia Connect", "UA", 0], ["Polissia Networks", "UA", 0],
  ["Rhein Telekom Wholesale", "DE", 0], ["Seine Télécom Carrier", "FR", 0],
  ["Harbor Voice Networks", "US", 1], ["Great Lakes Telecom", "US", 1], ["Pacific Crest Communications", "US", 1], ["Lone Star Numbering", "US", 1],
  ["Hudson Interconnect", "US", 1], ["Bluebonnet Telecom", "US", 1], ["Maple Leaf Voice", "CA", 1], ["Prairie Fiber", "CA", 1],
  ["Laurentian Telecom", "CA", 1], ["Albion Telecom Americas", "UK", 1],
  ["Pennine Networks", "UK", 2], ["Thames Interconnect", "UK", 2], ["Caledonia Voice", "UK", 2], ["Severn Communications", "UK", 2],
  ["Mersey Digital", "UK", 2], ["Cotswold Telecom", "UK", 2], ["Albion Telecom", "UK", 2], ["Fenland Carrier Services", "UK", 2],
  ["Cascade Carrier Services", "US", 2], ["Kyiv Digital Telecom UK", "UA", 2],
  ["Elbe Carrier", "DE", 3], ["Bavaria Connect", "DE", 3], ["Spree Digital", "DE", 3], ["Hanse Netz", "DE", 3],
  ["Ruhr Voice", "DE", 3], ["Schwarzwald Telekom", "DE", 3], ["Main Carrier Frankfurt", "DE", 3], ["Rhein Telekom", "DE", 3],
  ["Loire Connect Europe", "FR", 3], ["Podillia Connect DE", "UA", 3],
  ["Seine Télécom", "FR", 4], ["Loire Connect", "FR", 4], ["Provence Voix", "FR", 4], ["Gironde Réseaux", "FR", 4],
  ["Alpes Télécom", "FR", 4], ["Normandie Opérateur", "FR", 4], ["Bretagne Numérique", "FR", 4], ["Azur Interconnexion", "FR", 4],
  ["Spree Digital France", "DE", 4], ["Maple Leaf Voice Europe", "CA", 4],
];

// [client name, reseller index, account names]
const clientDefs: [string, number, string[]][] = [
  ["Kyiv Pizza Delivery", 0, ["Orders line"]],
  ["Helios Insurance", 0, ["Main", "Claims hotline"]],
  ["Dniprovska Clinic", 0, ["Reception", "Lab results", "After hours"]],
  ["Zoryana Logistics", 0, ["Dispatch", "Drivers"]],
  ["Acme Contact Centers", 1, ["Inbound US", "Inbound CA", "Outbound"]],
  ["Bright Dental Group", 1, ["Main"]],
  ["Northwind Logistics", 1, ["Dispatch", "Support"]],
  ["Blue Harbor Realty", 1, ["Agents"]],
  ["Crown & Anchor Pubs", 2, ["Bookings"]],
  ["Westminster Legal LLP", 2, ["Main", "Conference"]],
  ["Highland Energy", 2, ["Customer service", "Emergency", "Billing"]],
  ["Pennywise Lending", 2, ["Main"]],
  ["Müller Maschinenbau", 3, ["Zentrale", "Service"]],
  ["Sonnenschein Reisen", 3, ["Buchung"]],
  ["Hansa Versand", 3, ["Kundenservice", "Retouren", "B2B"]],
  ["Praxis Dr. Weber", 3, ["Praxis"]],
  ["Boulangerie Dupont", 4, ["Magasin"]],
  ["Assurances Lefèvre", 4, ["Sinistres", "Commercial"]],
  ["Cabinet Moreau Avocats", 4, ["Standard"]],
  ["TransAlpes Fret", 4, ["Exploitation", "Support", "Nuit"]],
];

const notes = [
  "Ported in from the previous carrier, keep the routing",
  "Customer asked to keep this number until contract end",
  "Emergency services address registered",
  "Fax line, do not reassign",
  "Reserved for the Q3 marketing campaign",
  "CNAM / caller name updated",
  "Used in printed ads, check before reuse",
  "Number quarantine after porting out",
  "Trial customer, review after 30 days",
  "Regulator inquiry open, do not change status",
];

// ---------------------------------------------------------------------------------------
// Blocks: contiguous number ranges, each owned by one operator.

/** A small, fast, seedable generator (mulberry32): the same seed gives the same world. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Block {
  start: bigint;
  count: number;
  operatorIndex: number;
  tag: string | null;
  ageDays: number;
}

/** Splits `total` into integer shares proportional to `weights` (largest remainders). */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) shares[order[k]![1]]! += 1;
  return shares;
}

function planBlocks(totalDids: number, random: () => number): Block[] {
  const cursors = areas.map((a) => a.start);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // Carriers differ in size: the largest hold about ten times as many numbers as the smallest.
  const quotas = apportion(totalDids, operatorDefs.map(() => 1 + random() * 9));
  const blocks: Block[] = [];
  operatorDefs.forEach(([, country], operatorIndex) => {
    const home = areas.map((_, i) => i).filter((i) => areas[i]!.country === country);
    // Each operator holds numbers in two or three of its country's areas; about a third
    // of the carriers that could also sell toll-free numbers do.
    const sellsTollFree = random() < 0.35;
    const own = home
      .filter((i) => sellsTollFree || !areas[i]!.tollFree)
      .sort(() => random() - 0.5)
      .slice(0, 2 + Math.floor(random() * 2));
    let remaining = quotas[operatorIndex]!;
    while (remaining > 0) {
      const wanted = pick([100, 100, 1000, 1000, 1000, 1000, 10_000, 10_000]);
      const count = Math.min(wanted, remaining);
      const align = Math.min(10_000, Math.max(100, 10 ** Math.ceil(Math.log10(count))));
      const fits = (i: number) => Math.ceil(cursors[i]! / align) * align + count - 1 <= areas[i]!.end;
      const candidates = own.filter(fits);
      const areaIndex = candidates.length > 0 ? pick(candidates) : home.find(fits) ?? areas.findIndex((_, i) => fits(i));
      if (areaIndex < 0) throw new Error("the numbering plan ran out of room: seed fewer DIDs");
      const a = areas[areaIndex]!;
      const local = Math.ceil(cursors[areaIndex]! / align) * align;
      // Another carrier's numbers sit in the gaps: leave zero to two aligned blocks free.
      cursors[areaIndex] = local + Math.max(count, align) + Math.floor(random() * 3) * align;
      const start = BigInt(a.prefix) * 10n ** BigInt(a.width) + BigInt(local);
      const tag = a.tollFree ? "toll-free" : random() < 0.12 ? pick(["batch-2026-07", "batch-2026-03"]) : null;
      blocks.push({ start, count, operatorIndex, tag, ageDays: Math.floor(random() * 900) });
      remaining -= count;
    }
  });
  // Oldest purchases first: ids then follow the order numbers arrived in.
  return blocks.sort((x, y) => y.ageDays - x.ageDays);
}

// ---------------------------------------------------------------------------------------

async function count(client: pg.ClientBase, table: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * --reset: empties the demo data (DIDs, batches, clients, operators, resellers) and
 * nothing else: users and their sessions stay as they are. A reseller that a user is bound
 * to stays too when the demo data has one of its name (the seed fills it afresh); a user
 * bound to any other reseller stops the reset before anything changes, with their names.
 * Returns the users whose reseller was kept.
 */
async function emptyDemoTables(client: pg.ClientBase, log: (message: string) => void): Promise<{ username: string; reseller: string }[]> {
  const { rows: bound } = await client.query<{ username: string; reseller: string }>(
    "SELECT u.username, r.name AS reseller FROM app_user u JOIN reseller r ON r.id = u.reseller_id ORDER BY u.username",
  );
  const isDemo = (name: string) => resellerNames.some((demo) => demo.toLowerCase() === name.toLowerCase());
  const stranded = bound.filter((user) => !isDemo(user.reseller));
  if (stranded.length > 0) {
    throw new SeedRefusedError(
      `--reset would delete the resellers that ${stranded.length === 1 ? "this user is" : "these users are"} bound to: ` +
        `${stranded.map((u) => `${u.username} (${u.reseller})`).join(", ")}. The demo data has only ${resellerNames.join(", ")}. ` +
        "Bind them to one of those (or make them admin or support without a reseller) on the Users page, then run the reset again. Nothing was changed.",
    );
  }
  log("reset: emptying did, operation, imports, subscriptions, packages, client accounts, clients, operators, resellers (users, sessions and the audit log are kept)");
  // Ids are not restarted: the audit log keeps the history of the deleted objects, and a
  // new DID must not inherit an old one's history by taking its id.
  await client.query("TRUNCATE did, operation, import_row, import_file_chunk, import_run, subscription, package, client_account, client, operator");
  // Not TRUNCATE: users point at resellers, and a cascade would take the users with it.
  await client.query("DELETE FROM reseller WHERE id NOT IN (SELECT reseller_id FROM app_user WHERE reseller_id IS NOT NULL)");
  return bound;
}

/** The demo reseller of this name: the one a reset kept for its users, or a new one. */
async function demoReseller(client: pg.ClientBase, name: string): Promise<number> {
  const { rows: kept } = await client.query<{ id: number }>("SELECT id FROM reseller WHERE lower(name) = lower($1)", [name]);
  if (kept[0]) return kept[0].id;
  const { rows } = await client.query<{ id: number }>("INSERT INTO reseller (name) VALUES ($1) RETURNING id", [name]);
  return rows[0]!.id;
}

export function validateDidCount(value: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > maxSeedDids) {
    throw new Error(`the number of DIDs must be a whole number from 1 to ${maxSeedDids.toLocaleString("en-US")}, got ${value}`);
  }
}

/** Fills the database at `databaseUrl` (already migrated) with demo data. */
export async function seedDemoData(databaseUrl: string, options: SeedOptions): Promise<SeedSummary> {
  validateDidCount(options.dids);
  const log = options.log ?? (() => {});
  const random = prng(options.randomSeed ?? 20260701);
  const started = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const existing = { did: await count(client, "did"), operator: await count(client, "operator"), reseller: await count(client, "reseller"), client: await count(client, "client") };
    if (!options.reset && Object.values(existing).some((n) => n > 0)) {
      throw new SeedRefusedError(
        `the database already holds data (${existing.did.toLocaleString("en-US")} DIDs, ${existing.operator} operators, ` +
          `${existing.reseller} resellers, ${existing.client} clients). Run again with --reset to delete all of it (users and their sessions are kept) and seed afresh.`,
      );
    }

    await client.query("BEGIN");
    // Enough for the index builds of ten million rows to sort in memory (taken only as needed).
    await client.query("SET LOCAL maintenance_work_mem = '1GB'");
    const keptUsers = options.reset ? await emptyDemoTables(client, log) : [];

    const resellerIds: number[] = [];
    for (const name of resellerNames) resellerIds.push(await demoReseller(client, name));
    const operatorIds: number[] = [];
    for (const [name, , resellerIndex] of operatorDefs) {
      const { rows } = await client.query<{ id: number }>("INSERT INTO operator (name, reseller_id) VALUES ($1, $2) RETURNING id", [name, resellerIds[resellerIndex]]);
      operatorIds.push(rows[0]!.id);
    }
    // One package per reseller, large enough for the seeded assignments; every client
    // subscribed to its reseller's since the start of the year, and its assigned DIDs under it.
    const packageIds: number[] = [];
    for (const resellerId of resellerIds) {
      const { rows } = await client.query<{ id: number }>(
        "INSERT INTO package (name, reseller_id, did_limit, default_hold_days) VALUES ('Business', $1, 1000000, 30) RETURNING id",
        [resellerId],
      );
      packageIds.push(rows[0]!.id);
    }
    const accountsByReseller: number[][] = resellerIds.map(() => []);
    const subscriptionOfAccount = new Map<number, number>();
    let accountCount = 0;
    for (const [name, resellerIndex, accounts] of clientDefs) {
      const { rows } = await client.query<{ id: number }>("INSERT INTO client (name, reseller_id) VALUES ($1, $2) RETURNING id", [name, resellerIds[resellerIndex]]);
      const { rows: subscribed } = await client.query<{ id: number }>(
        "INSERT INTO subscription (client_id, package_id, reseller_id, start_date) VALUES ($1, $2, $3, date_trunc('year', now())::date) RETURNING id",
        [rows[0]!.id, packageIds[resellerIndex], resellerIds[resellerIndex]],
      );
      for (const account of accounts) {
        const created = await client.query<{ id: number }>("INSERT INTO client_account (name, client_id, reseller_id) VALUES ($1, $2, $3) RETURNING id", [account, rows[0]!.id, resellerIds[resellerIndex]]);
        accountsByReseller[resellerIndex]!.push(created.rows[0]!.id);
        subscriptionOfAccount.set(created.rows[0]!.id, subscribed[0]!.id);
        accountCount++;
      }
    }

    const blocks = planBlocks(options.dids, random);
    // Assigned numbers of a block mostly go to one customer account of the operator's
    // reseller, some to a second one.
    const accountA: number[] = [];
    const accountB: number[] = [];
    for (const block of blocks) {
      const pool = accountsByReseller[operatorDefs[block.operatorIndex]![2]]!;
      accountA.push(pool[Math.floor(random() * pool.length)]!);
      accountB.push(pool[Math.floor(random() * pool.length)]!);
    }

    // Indexes and foreign keys of did, except its primary key: dropped for the load, then
    // re-created from their stored definitions.
    const { rows: indexDefs } = await client.query<{ name: string; def: string }>(`
      SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'did'::regclass AND NOT x.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`);
    const { rows: foreignKeys } = await client.query<{ name: string; def: string }>(`
      SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = 'did'::regclass AND contype = 'f'`);
    for (const fk of foreignKeys) await client.query(`ALTER TABLE did DROP CONSTRAINT ${client.escapeIdentifier(fk.name)}`);
    for (const index of indexDefs) await client.query(`DROP INDEX ${client.escapeIdentifier(index.name)}`);

    // The assignment rule's row trigger would run two lookups for each of the millions of
    // assigned rows; the demo's assignments are right by construction, and one set-based
    // check after the load holds them to the same rule (before the transaction commits).
    await client.query("ALTER TABLE did DISABLE TRIGGER did_assignment_check");

    log(`generating ${options.dids.toLocaleString("en-US")} DIDs in ${blocks.length.toLocaleString("en-US")} blocks`);
    const insertStarted = performance.now();
    await client.query("SELECT setseed(0.4242)");
    // Per row: status (55% in stock, 22% active, 8% reserved, 8% archive, 4% blocked,
    // 3% hold), tag, notes, dates. Active, blocked and hold rows have an account; hold
    // rows a hold end date.
    await client.query(
      `INSERT INTO did (number, status, operator_id, tag, notes, after_hold_status, hold_days, hold_until,
                        client_account_id, subscription_id, assigned_at, created_at, updated_at)
       SELECT num, st, op, tag, note, after_hold, hold_days,
              CASE WHEN st = 'hold' THEN now() + make_interval(days => 1 + floor(r_misc * hold_days)::int) END,
              CASE WHEN st IN ('active', 'blocked', 'hold') THEN CASE WHEN r_acct < 0.75 THEN acct_a ELSE acct_b END END,
              -- Held DIDs are released ones (a deactivation would have ended the subscription too).
              CASE WHEN st IN ('active', 'blocked') THEN CASE WHEN r_acct < 0.75 THEN sub_a ELSE sub_b END END,
              CASE WHEN st IN ('active', 'blocked', 'hold') THEN created + (now() - created) * r_misc / 2 END,
              created, CASE WHEN st = 'in_stock' THEN created ELSE created + (now() - created) * r_misc END
       FROM (
         SELECT num, op, acct_a, acct_b, sub_a, sub_b, r_acct, r_misc,
           CASE WHEN r_st < 0.55 THEN 'in_stock' WHEN r_st < 0.77 THEN 'active' WHEN r_st < 0.85 THEN 'reserved'
                WHEN r_st < 0.93 THEN 'archive' WHEN r_st < 0.97 THEN 'blocked' ELSE 'hold' END::"DidStatus" AS st,
           CASE WHEN block_tag IS NOT NULL THEN block_tag
                WHEN right(num, 3) IN ('000', '111', '222', '333', '444', '555', '666', '777', '888', '999') THEN 'golden'
                WHEN r_tag < 0.14 THEN 'premium'
                WHEN r_tag < 0.17 THEN 'porting' END AS tag,
           CASE WHEN r_note < 0.10 THEN ($8::text[])[1 + floor(r_note * 10 * cardinality($8::text[]))::int] END AS note,
           (ARRAY['in_stock', 'in_stock', 'reserved', 'archive'])[1 + floor(r_misc * 4)::int]::"AfterHoldStatus" AS after_hold,
           (ARRAY[7, 14, 30, 30, 60, 90])[1 + floor(r_acct * 6)::int] AS hold_days,
           now() - make_interval(days => age_days, secs => floor(r_misc * 86400)::int) AS created
         FROM (
           SELECT (b.start + g.i)::text AS num, b.op, b.acct_a, b.acct_b, b.sub_a, b.sub_b, b.block_tag, b.age_days,
             random() AS r_st, random() AS r_tag, random() AS r_note, random() AS r_acct, random() AS r_misc
           FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::int[], $6::text[], $7::int[], $9::int[], $10::int[])
                  AS b(start, cnt, op, acct_a, acct_b, block_tag, age_days, sub_a, sub_b)
           CROSS JOIN LATERAL generate_series(0, b.cnt - 1) AS g(i)
         ) generated
       ) shaped`,
      [
        blocks.map((b) => b.start.toString()),
        blocks.map((b) => b.count),
        blocks.map((b) => operatorIds[b.operatorIndex]),
        accountA,
        accountB,
        blocks.map((b) => b.tag),
        blocks.map((b) => b.ageDays),
        notes,
        accountA.map((id) => subscriptionOfAccount.get(id)),
        accountB.map((id) => subscriptionOfAccount.get(id)),
      ],
    );
    await client.query("ALTER TABLE did ENABLE TRIGGER did_assignment_check");
    const { rows: misassigned } = await client.query<{ n: string }>(`
      SELECT count(*) AS n FROM did d
      JOIN operator o ON o.id = d.operator_id
      JOIN client_account ca ON ca.id = d.client_account_id
      LEFT JOIN subscription s ON s.id = d.subscription_id
      WHERE ca.reseller_id <> o.reseller_id OR (d.subscription_id IS NOT NULL AND s.client_id IS DISTINCT FROM ca.client_id)`);
    if (misassigned[0]!.n !== "0") throw new Error(`the seed assigned ${misassigned[0]!.n} DIDs against the assignment rule (did_assignment_check)`);
    const insertMs = performance.now() - insertStarted;
    log(`inserted in ${(insertMs / 1000).toFixed(1)} s; building ${indexDefs.length} indexes and ${foreignKeys.length} foreign keys`);

    const indexesStarted = performance.now();
    for (const index of indexDefs) await client.query(index.def);
    for (const fk of foreignKeys) await client.query(`ALTER TABLE did ADD CONSTRAINT ${client.escapeIdentifier(fk.name)} ${fk.def}`);
    await client.query("COMMIT");
    const indexesMs = performance.now() - indexesStarted;

    // VACUUM as well as ANALYZE: it sets the visibility map, so counts can be index-only
    // scans from the first request on, not after autovacuum gets round to it.
    log("vacuum and analyze");
    const vacuumStarted = performance.now();
    await client.query("VACUUM (ANALYZE) did, operator, reseller, client, client_account, operation");
    const vacuumAnalyzeMs = performance.now() - vacuumStarted;

    const { rows: statusRows } = await client.query<{ status: string; n: string }>("SELECT status::text AS status, count(*) AS n FROM did GROUP BY 1 ORDER BY 2 DESC");
    const { rows: extras } = await client.query<{ tagged: string; with_notes: string }>(
      "SELECT count(tag) AS tagged, count(notes) AS with_notes FROM did",
    );
    const byCountry: Record<string, number> = {};
    for (const b of blocks) {
      const country = operatorDefs[b.operatorIndex]![1];
      const a = areas.find((x) => b.start.toString().startsWith(x.prefix) && b.start.toString().length === x.prefix.length + x.width);
      const key = a?.country ?? country;
      byCountry[key] = (byCountry[key] ?? 0) + b.count;
    }
    return {
      resellers: resellerIds.length,
      operators: operatorIds.length,
      clients: clientDefs.length,
      clientAccounts: accountCount,
      dids: await count(client, "did"),
      blocks: blocks.length,
      byStatus: Object.fromEntries(statusRows.map((r) => [r.status, Number(r.n)])),
      byCountry,
      tagged: Number(extras[0]?.tagged ?? 0),
      withNotes: Number(extras[0]?.with_notes ?? 0),
      timings: { insertMs, indexesMs, vacuumAnalyzeMs, totalMs: performance.now() - started },
      keptUsers,
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------
// The command line.

const usage = "usage: npm run db:seed -- [--dids N] [--reset]   (N from 1 to 20,000,000, default 100,000)";

/** Parses a DID count as typed: digits, optionally grouped with _ or , (1_000_000). */
export function parseDidCount(text: string | undefined, option = "--dids"): number {
  const cleaned = (text ?? "").trim();
  if (!/^\d{1,3}([_,]?\d{3})*$|^\d+$/.test(cleaned)) {
    throw new Error(`${option} needs a whole number of DIDs, got "${text ?? ""}"`);
  }
  const value = Number(cleaned.replace(/[_,]/g, ""));
  if (value < 1 || value > maxSeedDids) {
    throw new Error(`${option} must be from 1 to ${maxSeedDids.toLocaleString("en-US")}, got ${value.toLocaleString("en-US")}`);
  }
  return value;
}

export function parseSeedArgs(args: string[]): { dids: number; reset: boolean } {
  let dids = defaultSeedDids;
  let reset = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--reset") reset = true;
    else if (arg === "--dids") dids = parseDidCount(args[++i]);
    else if (arg.startsWith("--dids=")) dids = parseDidCount(arg.slice("--dids=".length));
    else if (arg === "--help" || arg === "-h") {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}"\n${usage}`);
  }
  return { dids, reset };
}

function formatSummary(s: SeedSummary): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const pct = (x: number) => `${((100 * x) / Math.max(1, s.dids)).toFixed(1)}%`;
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `created ${n(s.resellers)} resellers, ${n(s.operators)} operators, ${n(s.clients)} clients with ${n(s.clientAccounts)} accounts,`,
    `        ${n(s.dids)} DIDs in ${n(s.blocks)} contiguous blocks`,
    `  by country: ${Object.entries(s.byCountry).map(([c, x]) => `${c} ${n(x)}`).join(", ")}`,
    `  by status:  ${Object.entries(s.byStatus).map(([st, x]) => `${st} ${n(x)} (${pct(x)})`).join(", ")}`,
    `  tagged ${n(s.tagged)} (${pct(s.tagged)}), with notes ${n(s.withNotes)} (${pct(s.withNotes)})`,
    ...(s.keptUsers.length > 0 ? [`  users kept, with their resellers (filled afresh): ${s.keptUsers.map((u) => `${u.username} (${u.reseller})`).join(", ")}`] : []),
    `took ${sec(s.timings.totalMs)}: insert ${sec(s.timings.insertMs)}, indexes and foreign keys ${sec(s.timings.indexesMs)}, vacuum + analyze ${sec(s.timings.vacuumAnalyzeMs)}`,
  ].join("\n");
}

async function main() {
  const args = parseSeedArgs(process.argv.slice(2));
  const log = (message: string) => console.log(message);
  const database = await openDatabase(loadConfig(), log, { shareRunningServer: true });
  try {
    const summary = await seedDemoData(database.url, { dids: args.dids, reset: args.reset, log });
    console.log(formatSummary(summary));
  } finally {
    await database.close();
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((error: unknown) => {
    console.error(`seed failed: ${describeError(error)}`);
    process.exit(1);
  });
}
