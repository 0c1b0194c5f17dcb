// The inventory sorted by operator, reseller or client name takes a walk through indexes
// (pageIdsByNameSql in dids.repo.ts) instead of joining and sorting every DID. It must
// give exactly the page the plain join and sort gives: every sort, direction, page and
// filter it serves, in an admin's scope and a reseller's, with names shared across
// resellers, unassigned DIDs (last ascending, first descending) and ties broken by number.
import t from "tap";
import { Prisma } from "../../src/generated/prisma/client.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import { didOrderSql, didWhereSql, type DidListQuery, type DidStatus, type SortColumn } from "../../src/modules/dids/did-filters.js";
import { readListPage } from "../../src/modules/dids/dids.repo.js";
import { everything, type Scope } from "../../src/shared/actor.js";
import { createTestDatabase } from "../helpers/app.js";
import { makeDids, makeReseller } from "../helpers/factories.js";

const db = createPrismaClient(await createTestDatabase(t), 2);
t.teardown(() => db.$disconnect());

const resellers = [await makeReseller(db, "Zeta"), await makeReseller(db, "Alpha"), await makeReseller(db, "Mu")];
const statuses: DidStatus[] = ["in_stock", "active", "blocked", "reserved", "archive"];
let next = 380500000000;
for (const [r, reseller] of resellers.entries()) {
  // The same operator and client names under each reseller: ties that only numbers break.
  for (const name of ["Kyivstar", "Lifecell", "Vodafone"]) {
    const operator = await db.operator.create({ data: { name, resellerId: reseller.id } });
    const accounts = [];
    for (const clientName of ["Acme", "Beta"]) {
      const client = (await db.client.findFirst({ where: { name: clientName, resellerId: reseller.id } })) ?? (await db.client.create({ data: { name: clientName, resellerId: reseller.id } }));
      for (const accountName of ["main", "backup"]) {
        accounts.push(
          (await db.clientAccount.findFirst({ where: { clientId: client.id, name: accountName } })) ??
            (await db.clientAccount.create({ data: { name: accountName, clientId: client.id, resellerId: reseller.id } })),
        );
      }
    }
    // Numbers interleaved across operators, so no operator's numbers are one block.
    for (let i = 0; i < 12; i++) {
      const status = statuses[(i + r) % statuses.length]!;
      const account = status === "active" || (status === "blocked" && i % 2 === 0) ? accounts[(i + r) % accounts.length] : undefined;
      await makeDids(db, operator.id, [String(next + i * 97 + r * 13)], { status, clientAccountId: account?.id });
    }
    next += 5;
  }
}

function plainPageSql(query: DidListQuery, scope: Scope): Prisma.Sql {
  return Prisma.sql`
    SELECT d.id FROM did d
    JOIN operator o ON o.id = d.operator_id JOIN reseller r ON r.id = o.reseller_id
    LEFT JOIN client_account ca ON ca.id = d.client_account_id LEFT JOIN client c ON c.id = ca.client_id
    ${didWhereSql(query.filter, scope)} ${didOrderSql(query.sort, query.dir)}
    LIMIT ${query.per} OFFSET ${(query.page - 1) * query.per}`;
}

const filters: DidListQuery["filter"][] = [
  { statuses: [] },
  { statuses: ["active"] },
  { statuses: ["blocked", "in_stock"] },
  { statuses: [], resellerId: resellers[1]!.id },
  { statuses: ["active"], resellerId: resellers[2]!.id },
  { statuses: [], operatorId: (await db.operator.findFirstOrThrow({ where: { name: "Lifecell", resellerId: resellers[0]!.id } })).id },
];
const scopes: Scope[] = [everything, { resellerId: resellers[2]!.id }];

t.test("the walk gives the page the plain sort gives", async (t) => {
  let compared = 0;
  for (const sort of ["operator", "reseller", "client"] as SortColumn[]) {
    for (const dir of ["asc", "desc"] as const) {
      for (const filter of filters) {
        for (const scope of scopes) {
          for (const page of [1, 2, 4, 9]) {
            const query: DidListQuery = { filter, sort, dir, page, per: 7, exactCount: false };
            const walked = (await readListPage(db, scope, query, false, undefined)).rows.map((row) => row.id);
            const plain = (await db.$queryRaw<{ id: number }[]>(plainPageSql(query, scope))).map((row) => row.id);
            if (JSON.stringify(walked) !== JSON.stringify(plain)) t.same(walked, plain, `${sort} ${dir} page ${page}, ${JSON.stringify(filter)}, scope ${scope.resellerId}`);
            compared++;
          }
        }
      }
    }
  }
  t.equal(compared, 3 * 2 * filters.length * scopes.length * 4, "every combination compared");
  t.pass("all pages equal");
});
