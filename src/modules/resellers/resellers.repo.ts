// The only place that reads and writes resellers.
import type { DbOrTx } from "../../db/prisma.js";

export async function listResellers(db: DbOrTx) {
  const rows = await db.reseller.findMany({
    select: { id: true, name: true, _count: { select: { operators: true, clients: true } } },
    orderBy: { name: "asc" },
  });
  return rows.map((r) => ({ id: r.id, name: r.name, operatorCount: r._count.operators, clientCount: r._count.clients }));
}

export async function listResellerOptions(db: DbOrTx) {
  return db.reseller.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } });
}

export async function findReseller(db: DbOrTx, id: number) {
  return (await db.reseller.findUnique({ where: { id } })) ?? undefined;
}

export async function resellerNameTaken(db: DbOrTx, name: string): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM reseller WHERE lower(name) = lower(${name}) LIMIT 1`;
  return rows.length > 0;
}

export async function createReseller(db: DbOrTx, name: string) {
  return db.reseller.create({ data: { name } });
}
