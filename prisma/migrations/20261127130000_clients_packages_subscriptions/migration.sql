-- Clients, packages and subscriptions (issue 9). A client, its accounts and its
-- subscriptions belong to one reseller: the accounts and subscriptions repeat the
-- reseller and reach the client through (id, reseller_id), so they cannot disagree.

-- AlterEnum
ALTER TYPE "AuditObjectType" ADD VALUE 'client';
ALTER TYPE "AuditObjectType" ADD VALUE 'account';
ALTER TYPE "AuditObjectType" ADD VALUE 'package';
ALTER TYPE "AuditObjectType" ADD VALUE 'subscription';

-- AlterEnum
ALTER TYPE "AuditAction" ADD VALUE 'assign';
ALTER TYPE "AuditAction" ADD VALUE 'release';
ALTER TYPE "AuditAction" ADD VALUE 'move';
ALTER TYPE "AuditAction" ADD VALUE 'block';
ALTER TYPE "AuditAction" ADD VALUE 'unblock';
ALTER TYPE "AuditAction" ADD VALUE 'deactivate';
ALTER TYPE "AuditAction" ADD VALUE 'reactivate';
ALTER TYPE "AuditAction" ADD VALUE 'hold_end';

-- AlterTable
ALTER TABLE "client" ADD COLUMN "notes" VARCHAR(1000),
ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE UNIQUE INDEX "client_id_reseller_id_key" ON "client"("id", "reseller_id");

-- Hand-written: names are unique per reseller whatever their case, and found by any part
-- of them (the inventory's client field, the clients list) through a trigram index.
CREATE UNIQUE INDEX "client_reseller_id_lower_name_key" ON "client"("reseller_id", lower("name"));
CREATE INDEX "client_name_trgm_idx" ON "client" USING GIN ("name" gin_trgm_ops);

-- AlterTable: the account's reseller, from its client
ALTER TABLE "client_account" ADD COLUMN "reseller_id" INTEGER;
UPDATE "client_account" a SET "reseller_id" = c."reseller_id" FROM "client" c WHERE c."id" = a."client_id";
ALTER TABLE "client_account" ALTER COLUMN "reseller_id" SET NOT NULL;
ALTER TABLE "client_account" DROP CONSTRAINT "client_account_client_id_fkey";
ALTER TABLE "client_account" ADD CONSTRAINT "client_account_client_id_reseller_id_fkey" FOREIGN KEY ("client_id", "reseller_id") REFERENCES "client"("id", "reseller_id") ON DELETE RESTRICT ON UPDATE RESTRICT;
CREATE UNIQUE INDEX "client_account_client_id_lower_name_key" ON "client_account"("client_id", lower("name"));

-- CreateTable
CREATE TABLE "package" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "reseller_id" INTEGER NOT NULL,
    "did_limit" INTEGER NOT NULL,
    "allowed_tags" VARCHAR(64)[] NOT NULL DEFAULT ARRAY[]::VARCHAR(64)[],
    "default_hold_days" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "package_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "package_did_limit_check" CHECK ("did_limit" >= 0 AND "did_limit" <= 1000000),
    CONSTRAINT "package_default_hold_days_check" CHECK ("default_hold_days" >= 0 AND "default_hold_days" <= 3650)
);

-- CreateTable
CREATE TABLE "subscription" (
    "id" SERIAL NOT NULL,
    "client_id" INTEGER NOT NULL,
    "package_id" INTEGER NOT NULL,
    "reseller_id" INTEGER NOT NULL,
    "start_date" DATE NOT NULL,
    "end_date" DATE,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "deactivated_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscription_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "subscription_dates_check" CHECK ("end_date" IS NULL OR "end_date" >= "start_date")
);

-- CreateIndex
CREATE UNIQUE INDEX "package_reseller_id_name_key" ON "package"("reseller_id", "name");
CREATE UNIQUE INDEX "package_reseller_id_lower_name_key" ON "package"("reseller_id", lower("name"));
CREATE UNIQUE INDEX "package_id_reseller_id_key" ON "package"("id", "reseller_id");
CREATE INDEX "subscription_client_id_idx" ON "subscription"("client_id");
CREATE INDEX "subscription_package_id_idx" ON "subscription"("package_id");
-- Hand-written: the scheduler finds the active subscriptions whose end date has passed.
CREATE INDEX "subscription_end_date_idx" ON "subscription"("end_date") WHERE "active" AND "end_date" IS NOT NULL;

-- AddForeignKey
ALTER TABLE "package" ADD CONSTRAINT "package_reseller_id_fkey" FOREIGN KEY ("reseller_id") REFERENCES "reseller"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_client_id_reseller_id_fkey" FOREIGN KEY ("client_id", "reseller_id") REFERENCES "client"("id", "reseller_id") ON DELETE RESTRICT ON UPDATE RESTRICT;
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_package_id_reseller_id_fkey" FOREIGN KEY ("package_id", "reseller_id") REFERENCES "package"("id", "reseller_id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AlterTable
ALTER TABLE "did" ADD COLUMN "subscription_id" INTEGER,
ADD COLUMN "assigned_at" TIMESTAMPTZ(3);

-- CreateIndex: few DIDs have a subscription, so only they are indexed.
CREATE INDEX "did_subscription_id_idx" ON "did"("subscription_id") WHERE "subscription_id" IS NOT NULL;

-- AddForeignKey
ALTER TABLE "did" ADD CONSTRAINT "did_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscription"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
-- Hand-written: a DID may be assigned only to an account of its operator's reseller, and
-- only under a subscription of the account's client. A foreign key cannot say this (the
-- DID's reseller is its operator's), so a constraint trigger does, on the rows that have
-- an account: imports and creates of unassigned DIDs do not pay for it. The locks make a
-- concurrent change of the operator's reseller wait for the assignment, or the
-- assignment see the change.
CREATE FUNCTION did_assignment_check() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  account_reseller integer\073
  account_client integer\073
  operator_reseller integer\073
  subscription_client integer\073
BEGIN
  SELECT reseller_id, client_id INTO account_reseller, account_client FROM client_account WHERE id = NEW.client_account_id FOR KEY SHARE\073
  SELECT reseller_id INTO operator_reseller FROM operator WHERE id = NEW.operator_id FOR SHARE\073
  IF account_reseller IS DISTINCT FROM operator_reseller THEN
    RAISE EXCEPTION ''DID % cannot be assigned to an account of another reseller than its operator''''s'', NEW.number
      USING ERRCODE = ''23514'', CONSTRAINT = ''did_account_reseller_check''\073
  END IF\073
  IF NEW.subscription_id IS NOT NULL THEN
    SELECT client_id INTO subscription_client FROM subscription WHERE id = NEW.subscription_id FOR KEY SHARE\073
    IF subscription_client IS DISTINCT FROM account_client THEN
      RAISE EXCEPTION ''DID % cannot be assigned under another client''''s subscription'', NEW.number
        USING ERRCODE = ''23514'', CONSTRAINT = ''did_subscription_client_check''\073
    END IF\073
  END IF\073
  RETURN NULL\073
END';

CREATE CONSTRAINT TRIGGER did_assignment_check AFTER INSERT OR UPDATE OF client_account_id, operator_id, subscription_id ON did
  FOR EACH ROW WHEN (NEW.client_account_id IS NOT NULL) EXECUTE FUNCTION did_assignment_check();

-- An operator cannot move to another reseller while it has DIDs assigned to accounts of
-- its old one (the app has no such form, but the database holds the rule).
CREATE FUNCTION operator_reseller_check() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF EXISTS (SELECT 1 FROM did d JOIN client_account a ON a.id = d.client_account_id
             WHERE d.operator_id = NEW.id AND a.reseller_id <> NEW.reseller_id) THEN
    RAISE EXCEPTION ''operator % has DIDs assigned to accounts of its reseller'', NEW.id
      USING ERRCODE = ''23514'', CONSTRAINT = ''did_account_reseller_check''\073
  END IF\073
  RETURN NULL\073
END';

CREATE CONSTRAINT TRIGGER operator_reseller_check AFTER UPDATE OF reseller_id ON operator
  FOR EACH ROW WHEN (OLD.reseller_id IS DISTINCT FROM NEW.reseller_id) EXECUTE FUNCTION operator_reseller_check();

-- Active and hold come only from an assignment, a subscription only with an account,
-- and an assigned DID is active, blocked or on hold.
ALTER TABLE did ADD CONSTRAINT did_assignment_status_check CHECK (
  (client_account_id IS NULL AND subscription_id IS NULL AND status NOT IN ('active', 'hold'))
  OR (client_account_id IS NOT NULL AND status IN ('active', 'blocked', 'hold')));

-- A DID on hold has its end (hold_until), and only then.
ALTER TABLE did ADD CONSTRAINT did_hold_until_check CHECK ((status = 'hold') = (hold_until IS NOT NULL));

