-- Sorting the inventory by status pages through (status, id) in order instead of sorting
-- the whole table for every page.
-- CreateIndex
CREATE INDEX "did_status_id_idx" ON "did"("status", "id");

-- Hand-written: "notes contain" (ILIKE '%text%') is served by a trigram index instead of
-- reading every row. Most DIDs have no notes, and NULLs cost the index nothing.
CREATE INDEX "did_notes_trgm_idx" ON "did" USING GIN ("notes" gin_trgm_ops);
