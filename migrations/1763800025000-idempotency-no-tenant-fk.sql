-- Idempotency answers without a foreign key to tenants.
--
-- The key's foreign-key check ran once per stored answer: a probe of tenants
-- and a FOR KEY SHARE lock on the tenant's row (auto_explain of an 8-client
-- HTTP batch: 0.31 ms for five answers, about 60 µs each). Every concurrent
-- batch of a tenant locks that one row, so overlapping batches also made
-- multixacts of it. The check guarded nothing that can happen: an answer's
-- tenant is its API key's tenant, and the ledger transaction it answers for is
-- written in the same statement, where ledger_transactions_have_entries
-- checks that the tenant exists. Tenants are not deleted while anything of
-- theirs remains (the other tables' keys still refer to them).
-- migrate:up
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_tenant_id_fkey;

-- migrate:down
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
