// Reads clients for the inventory's filters. Managing clients comes with its own issue.
import type { DbOrTx } from "../../db/prisma.js";

export async function listClientOptions(db: DbOrTx) {
  return db.client.findMany({
    select: { id: true, name: true, reseller: { select: { name: true } } },
    orderBy: [{ name: "asc" }, { id: "asc" }],
  });
}

export async function findClient(db: DbOrTx, id: number) {
  return (await db.client.findUnique({ where: { id } })) ?? undefined;
}
