// Reads clients for the inventory's filters. Managing clients comes with its own issue.
import type { DbOrTx } from "../../db/prisma.js";
import { resellerWhere, type Scope } from "../../shared/actor.js";

export async function listClientOptions(db: DbOrTx, scope: Scope) {
  return db.client.findMany({
    where: resellerWhere(scope),
    select: { id: true, name: true, reseller: { select: { name: true } } },
    orderBy: [{ name: "asc" }, { id: "asc" }],
  });
}
