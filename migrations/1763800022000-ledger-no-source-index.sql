-- Nothing looks a ledger transaction up by its source: a record, a redemption or an
-- order keeps the id of its own transaction. The index on (tenant_id, source_type,
-- source_id) only cost an insert for every posting that has a source (every record).
-- migrate:up
DROP INDEX ledger_transactions_source_idx;

-- migrate:down
CREATE INDEX ledger_transactions_source_idx ON ledger_transactions (tenant_id, source_type, source_id) WHERE source_id IS NOT NULL;
