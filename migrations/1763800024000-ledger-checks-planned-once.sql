-- The ledger's statement-level checks with plans kept for the session.
--
-- The probes used to run through EXECUTE, so that each call planned them with
-- the tables' current sizes: a plan cached while a table was nearly empty could
-- scan it instead of probing its index, and then scan it again per new row once
-- it had grown (inside one long import, no ANALYZE comes along to replan). But
-- parsing and planning five queries per batch was a sixth of PostgreSQL's CPU
-- per group-commit batch (perf, 8 HTTP clients: batches of three or four postings).
-- Now they are static SQL, parsed and planned once per session, and the
-- functions run with enable_seqscan off, so the plan probes the index whatever
-- the table's size when it was made (the transition tables, which have no index,
-- are scanned all the same). The queries are the same.
-- migrate:up
CREATE OR REPLACE FUNCTION ledger_entries_balanced() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
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
  SELECT e.account_id, e.asset_code, a.asset_code AS account_asset INTO bad
    FROM (SELECT DISTINCT tenant_id, account_id, asset_code FROM new_entries) e
    LEFT JOIN LATERAL (SELECT x.asset_code FROM accounts x WHERE x.tenant_id = e.tenant_id AND x.id = e.account_id OFFSET 0) a ON true
   WHERE a.asset_code IS DISTINCT FROM e.asset_code
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'entry for % on account %, which %', bad.asset_code, bad.account_id,
      CASE WHEN bad.account_asset IS NULL THEN 'does not exist in this tenant' ELSE 'holds ' || bad.account_asset END
      USING ERRCODE = '23503';
  END IF;
  SELECT e.transaction_id INTO bad
    FROM (SELECT DISTINCT tenant_id, transaction_id FROM new_entries) e
   WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.tenant_id = e.tenant_id AND t.id = e.transaction_id OFFSET 0)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'entry for transaction %, which does not exist', bad.transaction_id USING ERRCODE = '23503';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_transactions_have_entries() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.id INTO bad FROM new_transactions n
   WHERE (SELECT count(*) FROM ledger_entries e WHERE e.tenant_id = n.tenant_id AND e.transaction_id = n.id) < 2
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction % has fewer than two entries', bad.id USING ERRCODE = 'P0001';
  END IF;
  SELECT n.tenant_id INTO bad
    FROM (SELECT DISTINCT tenant_id FROM new_transactions) n
   WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = n.tenant_id OFFSET 0)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction of tenant %, which does not exist', bad.tenant_id USING ERRCODE = '23503';
  END IF;
  SELECT n.id, n.reversal_of INTO bad FROM new_transactions n
   WHERE n.reversal_of IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.tenant_id = n.tenant_id AND t.id = n.reversal_of OFFSET 0)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction % reverses %, which does not exist', bad.id, bad.reversal_of USING ERRCODE = '23503';
  END IF;
  RETURN NULL;
END $$;

-- migrate:down
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
