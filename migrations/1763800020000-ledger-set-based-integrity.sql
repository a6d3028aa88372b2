-- Referential integrity of the ledger checked once per statement instead of once per row.
--
-- Each new entry and transaction used to fire foreign-key triggers: a
-- separate probe and row lock (FOR KEY SHARE, itself a WAL record) per entry on
-- its account and its transaction, and per transaction on its tenant and on the
-- reversed transaction. EXPLAIN ANALYZE of a 1,000-posting batch: 70 ms, of
-- which 30 ms in those triggers. The writer inserts a whole batch's
-- transactions and entries in one statement, so the statement-level triggers
-- that already check balance and "at least two entries" check existence too,
-- with one set-based query over the transition table; and they check more
-- than the foreign keys did (an entry's asset must be its account's asset).
--
-- What the row locks of a foreign key protect against, a concurrent DELETE of
-- the referenced row, cannot happen: transactions, entries and now accounts
-- refuse DELETE and TRUNCATE (accounts are closed by leaving them at zero).
-- migrate:up
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_tenant_id_account_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_tenant_id_transaction_id_fkey;
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_tenant_id_fkey;
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_tenant_id_reversal_of_fkey;

CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- The probes run through EXECUTE, so they are planned on every call with the
-- tables' current sizes: a plan cached by PL/pgSQL for the session while a
-- table was nearly empty may probe by the wrong index (tenant only, filtering
-- the rest), which costs a scan of the tenant's rows per new row once the
-- table has grown. As LATERAL subqueries with OFFSET 0 they stay one index
-- lookup per new row rather than a hash of the whole referenced table.
CREATE OR REPLACE FUNCTION ledger_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT tenant_id, transaction_id, asset_code, sum(amount) AS total INTO bad
    FROM new_entries GROUP BY tenant_id, transaction_id, asset_code HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'unbalanced transaction %: % sums to %', bad.transaction_id, bad.asset_code, bad.total
      USING ERRCODE = 'P0001';
  END IF;
  -- (An entry added alone to a transaction cannot balance, amounts being non-zero; a new
  -- transaction without two entries is caught by ledger_transactions_have_entries.)
  EXECUTE 'SELECT e.account_id, e.asset_code, a.asset_code AS account_asset
             FROM (SELECT DISTINCT tenant_id, account_id, asset_code FROM new_entries) e
             LEFT JOIN LATERAL (SELECT x.asset_code FROM accounts x WHERE x.tenant_id = e.tenant_id AND x.id = e.account_id OFFSET 0) a ON true
            WHERE a.asset_code IS DISTINCT FROM e.asset_code
            LIMIT 1' INTO bad;
  IF bad.account_id IS NOT NULL THEN
    RAISE EXCEPTION 'entry for % on account %, which %', bad.asset_code, bad.account_id,
      CASE WHEN bad.account_asset IS NULL THEN 'does not exist in this tenant' ELSE 'holds ' || bad.account_asset END
      USING ERRCODE = '23503';
  END IF;
  EXECUTE 'SELECT e.transaction_id
             FROM (SELECT DISTINCT tenant_id, transaction_id FROM new_entries) e
            WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.tenant_id = e.tenant_id AND t.id = e.transaction_id OFFSET 0)
            LIMIT 1' INTO bad;
  IF bad.transaction_id IS NOT NULL THEN
    RAISE EXCEPTION 'entry for transaction %, which does not exist', bad.transaction_id USING ERRCODE = '23503';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_transactions_have_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  EXECUTE 'SELECT n.id FROM new_transactions n
            WHERE (SELECT count(*) FROM ledger_entries e WHERE e.tenant_id = n.tenant_id AND e.transaction_id = n.id) < 2
            LIMIT 1' INTO bad;
  IF bad.id IS NOT NULL THEN
    RAISE EXCEPTION 'transaction % has fewer than two entries', bad.id USING ERRCODE = 'P0001';
  END IF;
  EXECUTE 'SELECT n.tenant_id
             FROM (SELECT DISTINCT tenant_id FROM new_transactions) n
            WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = n.tenant_id OFFSET 0)
            LIMIT 1' INTO bad;
  IF bad.tenant_id IS NOT NULL THEN
    RAISE EXCEPTION 'transaction of tenant %, which does not exist', bad.tenant_id USING ERRCODE = '23503';
  END IF;
  EXECUTE 'SELECT n.id, n.reversal_of FROM new_transactions n
            WHERE n.reversal_of IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.tenant_id = n.tenant_id AND t.id = n.reversal_of OFFSET 0)
            LIMIT 1' INTO bad;
  IF bad.id IS NOT NULL THEN
    RAISE EXCEPTION 'transaction % reverses %, which does not exist', bad.id, bad.reversal_of USING ERRCODE = '23503';
  END IF;
  RETURN NULL;
END $$;

-- migrate:down
CREATE OR REPLACE FUNCTION ledger_transactions_have_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad uuid;
BEGIN
  SELECT n.id INTO bad FROM new_transactions n
   WHERE (SELECT count(*) FROM ledger_entries e WHERE e.tenant_id = n.tenant_id AND e.transaction_id = n.id) < 2
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction % has fewer than two entries', bad USING ERRCODE = 'P0001';
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION ledger_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT tenant_id, transaction_id, asset_code, sum(amount) AS total INTO bad
    FROM new_entries GROUP BY tenant_id, transaction_id, asset_code HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'unbalanced transaction %: % sums to %', bad.transaction_id, bad.asset_code, bad.total
      USING ERRCODE = 'P0001';
  END IF;
  SELECT transaction_id INTO bad FROM new_entries GROUP BY transaction_id HAVING count(*) < 2 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction % has fewer than two entries', bad.transaction_id USING ERRCODE = 'P0001';
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER accounts_no_truncate ON accounts;
DROP TRIGGER accounts_no_delete ON accounts;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_tenant_id_reversal_of_fkey
  FOREIGN KEY (tenant_id, reversal_of) REFERENCES ledger_transactions (tenant_id, id);
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_tenant_id_fkey
  FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_tenant_id_transaction_id_fkey
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id);
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_tenant_id_account_id_fkey
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id);
