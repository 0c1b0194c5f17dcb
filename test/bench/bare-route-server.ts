// The routing bench's yardstick: a bare Fastify server answering the same lookup with one
// prepared `pg` query, no token, no hooks, no logging. What this stack can do on this
// machine; the app's API is measured against it in the same run (bench-routing.ts).
// `node dist/test/bench/bare-route-server.js` with DATABASE_URL and PORT; prints "listening".
import Fastify from "fastify";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });
const lookup = `
SELECT d.number, d.status::text AS status, o.id AS operator_id, o.name AS operator, a.id AS account_id, a.name AS account
FROM did d JOIN operator o ON o.id = d.operator_id LEFT JOIN client_account a ON a.id = d.client_account_id
WHERE d.number = $1`;

app.get<{ Params: { number: string } }>("/route/:number", async (request, reply) => {
  const number = request.params.number.replace(/^\+/, "");
  const row = (await pool.query({ name: "bare-lookup", text: lookup, values: [number] })).rows[0];
  if (!row || row.status !== "active") return reply.code(404).send({ number, reachable: false, status: row?.status ?? null });
  return { number, reachable: true, status: "active", operator: { id: row.operator_id, name: row.operator }, account: { id: row.account_id, name: row.account } };
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
console.log("listening");
process.on("SIGTERM", () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
