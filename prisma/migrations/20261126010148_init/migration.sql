-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- Trigram indexes serve "number contains" searches (hand-written: Prisma cannot say it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateEnum
CREATE TYPE "DidStatus" AS ENUM ('in_stock', 'reserved', 'active', 'blocked', 'hold', 'archive');

-- CreateEnum
CREATE TYPE "AfterHoldStatus" AS ENUM ('in_stock', 'reserved', 'archive');

-- CreateTable
CREATE TABLE "reseller" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reseller_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operator" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "reseller_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "client" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "reseller_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "client_account" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "client_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "did_batch" (
    "id" SERIAL NOT NULL,
    "kind" VARCHAR(20) NOT NULL,
    "did_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "did_batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "did" (
    "id" SERIAL NOT NULL,
    "number" VARCHAR(20) COLLATE "C" NOT NULL,
    "status" "DidStatus" NOT NULL DEFAULT 'in_stock',
    "operator_id" INTEGER NOT NULL,
    "tag" VARCHAR(64),
    "notes" VARCHAR(1000),
    "after_hold_status" "AfterHoldStatus" NOT NULL DEFAULT 'in_stock',
    "hold_days" INTEGER NOT NULL DEFAULT 0,
    "hold_until" TIMESTAMPTZ(3),
    "client_account_id" INTEGER,
    "batch_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "did_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "reseller_name_key" ON "reseller"("name");

-- Hand-written: names differing only in letter case are the same name to a person.
CREATE UNIQUE INDEX "reseller_lower_name_key" ON "reseller"(lower("name"));

-- CreateIndex
CREATE UNIQUE INDEX "operator_reseller_id_name_key" ON "operator"("reseller_id", "name");

-- Hand-written, as for resellers.
CREATE UNIQUE INDEX "operator_reseller_id_lower_name_key" ON "operator"("reseller_id", lower("name"));

-- CreateIndex
CREATE UNIQUE INDEX "client_reseller_id_name_key" ON "client"("reseller_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "client_account_client_id_name_key" ON "client_account"("client_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "did_number_key" ON "did"("number");

-- Hand-written: numbers are digit strings stored with COLLATE "C" (above), so the unique
-- index serves ordering, "starts with" and from/to ranges, and this one serves "contains".
CREATE INDEX "did_number_trgm_idx" ON "did" USING GIN ("number" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "did_status_operator_id_idx" ON "did"("status", "operator_id");

-- CreateIndex
CREATE INDEX "did_operator_id_idx" ON "did"("operator_id");

-- CreateIndex
CREATE INDEX "did_tag_id_idx" ON "did"("tag", "id");

-- CreateIndex
CREATE INDEX "did_client_account_id_idx" ON "did"("client_account_id");

-- CreateIndex
CREATE INDEX "did_batch_id_idx" ON "did"("batch_id");

-- CreateIndex
CREATE INDEX "did_hold_until_idx" ON "did"("hold_until");

-- AddForeignKey
ALTER TABLE "operator" ADD CONSTRAINT "operator_reseller_id_fkey" FOREIGN KEY ("reseller_id") REFERENCES "reseller"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "client" ADD CONSTRAINT "client_reseller_id_fkey" FOREIGN KEY ("reseller_id") REFERENCES "reseller"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "client_account" ADD CONSTRAINT "client_account_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "client"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "did" ADD CONSTRAINT "did_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "did" ADD CONSTRAINT "did_client_account_id_fkey" FOREIGN KEY ("client_account_id") REFERENCES "client_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "did" ADD CONSTRAINT "did_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "did_batch"("id") ON DELETE SET NULL ON UPDATE CASCADE;
