-- A record's history is only ever read by record, in order: (tenant_id, record_id, id).
-- Keyed by (tenant_id, id) it needed a second index for that, so every transition
-- (two per line of an approved import) wrote two index entries. The key is now the
-- reading order itself; the identity column keeps every row unique.
-- migrate:up
ALTER TABLE record_history DROP CONSTRAINT record_history_pkey;
DROP INDEX record_history_record_idx;
ALTER TABLE record_history ADD CONSTRAINT record_history_pkey PRIMARY KEY (tenant_id, record_id, id);

-- migrate:down
ALTER TABLE record_history DROP CONSTRAINT record_history_pkey;
ALTER TABLE record_history ADD CONSTRAINT record_history_pkey PRIMARY KEY (tenant_id, id);
CREATE INDEX record_history_record_idx ON record_history (tenant_id, record_id, id);
