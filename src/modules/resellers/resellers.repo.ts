// The only place that reads and writes resellers.
import type { DbOrTx } from "../../db/prisma.js";
import type { Scope } from "../../shared/actor.js";

function inScope(scope: Scope): { id?: number } {
  return scope.resellerId === null ? {} : { id: scope.resellerId };
}

export async function listResellers(db: DbOrTx, scope: Scope) {
  const rows = await db.reseller.findMany({
    where: inScope(scope),
    select: { id: true, name: true, _count: { select: { operators: true, clients: true } } },
    orderBy: { name: "asc" },
  });
  return rows.map((r) => ({ id: r.id, name: r.name, operatorCount: r._count.operators, clientCount: r._count.clients }));
}

export async function listResellerOptions(db: DbOrTx, scope: Scope) {
  return db.reseller.findMany({ where: inScope(scope), select: { id: true, name: true }, orderBy: { name: "asc" } });
}

export async function findReseller(db: DbOrTx, scope: Scope, id: number) {
  // Both conditions, not a spread: the scope's id must not replace the one asked for.
  return (await db.reseller.findFirst({ where: { AND: [{ id }, inScope(scope)] } })) ?? undefined;
}

export async function resellerNameTaken(db: DbOrTx, name: string): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM reseller WHERE lower(name) = lower(${name}) LIMIT 1`;
  return rows.length > 0;
}

export async function createReseller(db: DbOrTx, name: string) {
  return db.reseller.create({ data: { name } });
}
