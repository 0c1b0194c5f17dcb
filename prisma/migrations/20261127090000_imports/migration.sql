-- AlterEnum
ALTER TYPE "AuditObjectType" ADD VALUE 'import';

-- AlterEnum
ALTER TYPE "AuditAction" ADD VALUE 'import';

-- CreateTable
CREATE TABLE "import_run" (
    "id" SERIAL NOT NULL,
    "file_name" VARCHAR(255) NOT NULL,
    "file_kind" VARCHAR(10) NOT NULL,
    "file_size" BIGINT NOT NULL,
    "reseller_id" INTEGER,
    "created_by_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "state" VARCHAR(20) NOT NULL DEFAULT 'uploaded',
    "settings" JSONB NOT NULL,
    "report" JSONB,
    "job_id" BIGINT,
    "error" TEXT,
    "operation_id" INTEGER,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "import_run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "import_file_chunk" (
    "import_id" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "import_file_chunk_pkey" PRIMARY KEY ("import_id","seq")
);

-- CreateTable
CREATE TABLE "import_row" (
    "import_id" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "row" INTEGER NOT NULL,
    "number" TEXT COLLATE "C",
    "operator_name" TEXT,
    "operator_id" INTEGER,
    "status" TEXT,
    "after_hold" TEXT,
    "hold_days" TEXT,
    "tag" TEXT,
    "notes" TEXT,
    "reason" VARCHAR(30),
    "detail" TEXT,

    CONSTRAINT "import_row_pkey" PRIMARY KEY ("import_id","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "import_run_operation_id_key" ON "import_run"("operation_id");

-- CreateIndex
CREATE INDEX "import_run_reseller_id_id_idx" ON "import_run"("reseller_id", "id" DESC);

-- CreateIndex
CREATE INDEX "import_run_id_idx" ON "import_run"("id" DESC);

-- AddForeignKey
ALTER TABLE "import_run" ADD CONSTRAINT "import_run_reseller_id_fkey" FOREIGN KEY ("reseller_id") REFERENCES "reseller"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_run" ADD CONSTRAINT "import_run_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "app_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_run" ADD CONSTRAINT "import_run_operation_id_fkey" FOREIGN KEY ("operation_id") REFERENCES "operation"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_file_chunk" ADD CONSTRAINT "import_file_chunk_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "import_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_row" ADD CONSTRAINT "import_row_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "import_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
