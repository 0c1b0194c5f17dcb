-- API tokens for the routing lookup API (issue 10). Only a token's SHA-256 is kept: the
-- token itself is shown once, when it is made. A token of a reseller sees only that
-- reseller's numbers. Revoking sets revoked_at, and every request reads it, so a revoked
-- token stops working on every instance at once.

-- AlterEnum
ALTER TYPE "AuditObjectType" ADD VALUE 'api_token';

-- AlterEnum
ALTER TYPE "AuditAction" ADD VALUE 'revoke';

-- CreateTable
CREATE TABLE "api_token" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "reseller_id" INTEGER,
    "token_hash" CHAR(64) NOT NULL,
    "token_prefix" VARCHAR(16) NOT NULL,
    "rate_limit" INTEGER,
    "allowed_networks" VARCHAR(50)[] DEFAULT ARRAY[]::VARCHAR(50)[],
    "created_by_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by_id" INTEGER,

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");

-- CreateIndex
CREATE INDEX "api_token_reseller_id_idx" ON "api_token"("reseller_id");

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_reseller_id_fkey" FOREIGN KEY ("reseller_id") REFERENCES "reseller"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "app_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_revoked_by_id_fkey" FOREIGN KEY ("revoked_by_id") REFERENCES "app_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written: a positive limit when one is set.
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_rate_limit_check" CHECK ("rate_limit" IS NULL OR "rate_limit" > 0);
