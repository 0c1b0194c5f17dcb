-- CreateEnum
CREATE TYPE "AuditObjectType" AS ENUM ('did', 'operator', 'reseller', 'user');

-- CreateEnum
CREATE TYPE "AuditAction" AS ENUM ('create', 'edit', 'delete', 'mass_edit', 'mass_delete', 'sign_in', 'sign_in_failed', 'password_change', 'password_reset', 'role_change');

-- did_batch grows into operation: existing batches (and /dids?batch=N links) keep their ids.
ALTER TABLE "did_batch" RENAME TO "operation";
ALTER TABLE "operation" RENAME CONSTRAINT "did_batch_pkey" TO "operation_pkey";
ALTER TABLE "operation" RENAME CONSTRAINT "did_batch_created_by_id_fkey" TO "operation_created_by_id_fkey";
ALTER SEQUENCE "did_batch_id_seq" RENAME TO "operation_id_seq";
ALTER TABLE "operation" ADD COLUMN "skipped_count" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "state" VARCHAR(20) NOT NULL DEFAULT 'done',
    ADD COLUMN "request_id" UUID,
    ADD COLUMN "finished_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "request_id" UUID NOT NULL,
    "actor_id" INTEGER,
    "actor_name" VARCHAR(64),
    "action" "AuditAction" NOT NULL,
    "object_type" "AuditObjectType" NOT NULL,
    "object_id" INTEGER,
    "reseller_id" INTEGER,
    "label" VARCHAR(100) NOT NULL,
    "changes" JSONB,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "operation_request_id_key" ON "operation"("request_id");

-- CreateIndex
CREATE INDEX "audit_event_object_type_object_id_id_idx" ON "audit_event"("object_type", "object_id", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_event_object_type_label_id_idx" ON "audit_event"("object_type", "label", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_event_request_id_idx" ON "audit_event"("request_id");

-- CreateIndex
CREATE INDEX "audit_event_actor_id_id_idx" ON "audit_event"("actor_id", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_event_reseller_id_id_idx" ON "audit_event"("reseller_id", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_event_action_id_idx" ON "audit_event"("action", "id" DESC);

-- Time filters: events arrive in time order, so a BRIN index serves them at almost no
-- cost per insert (a B-tree would be a seventh index to maintain on every mass edit).
CREATE INDEX "audit_event_occurred_at_brin" ON "audit_event" USING BRIN ("occurred_at");
