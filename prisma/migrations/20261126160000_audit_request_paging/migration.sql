-- The audit log pages a request's events newest first (`/audit?request=<uuid>`). With
-- (request_id) alone, PostgreSQL either walks the primary key backwards until it reaches
-- the request (millions of rows when a 100,000-event mass edit is months old) or fetches
-- all of the request's rows to sort them. (request_id, id DESC) reads 51 entries per page.
-- It replaces the old index, so writes maintain no more indexes than before.
DROP INDEX "audit_event_request_id_idx";

-- CreateIndex
CREATE INDEX "audit_event_request_id_id_idx" ON "audit_event"("request_id", "id" DESC);
