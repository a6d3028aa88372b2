-- The seal horizon index made partial, so that the ledger checks cannot pick it.
--
-- 1763800024000 made the ledger checks static SQL, planned once per session with
-- enable_seqscan off. A session that first runs them while ledger_transactions
-- is nearly empty finds every index leading with tenant_id equally cheap for
-- the probe "this entry's transaction exists" (tenant_id, id), and keeps the one
-- it picked. auto_explain, on an import posting 1,000 records per transaction:
-- the probe walked ledger_transactions_writer_idx (tenant_id, writer_xid, seq)
-- and filtered on id, a scan of the tenant's transactions for every new entry,
-- so that each batch took longer than the last (0.2 s, then 1.2 s ten batches
-- later). Group-commit sessions that live long would have done the same as the
-- ledger grew. Made partial (WHERE writer_xid IS NOT NULL, which every row
-- meets), the index serves the sealer's range scans on writer_xid, whose
-- conditions imply the predicate, and can never serve a probe that does not
-- name writer_xid: the primary key is then the only candidate.
-- migrate:up
DROP INDEX ledger_transactions_writer_idx;
CREATE INDEX ledger_transactions_writer_idx ON ledger_transactions (tenant_id, writer_xid, seq) WHERE writer_xid IS NOT NULL;

-- migrate:down
DROP INDEX ledger_transactions_writer_idx;
CREATE INDEX ledger_transactions_writer_idx ON ledger_transactions (tenant_id, writer_xid, seq);
