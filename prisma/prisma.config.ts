// Configuration for the stock Prisma CLI (`prisma generate`, and `prisma migrate deploy`
// where its engine can be downloaded). The app itself migrates with src/db/migrate.ts.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "schema.prisma",
  migrations: { path: "migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/did_inventory" },
});
