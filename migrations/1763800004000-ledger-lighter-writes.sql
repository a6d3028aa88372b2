-- Lighter writes on the hot path.
-- 1. "Every transaction has entries" was a deferred per-row constraint trigger:
-- one plpgsql call and one index probe per transaction at commit, about a
-- third of a large batch's commit time. The writer inserts a batch's
-- transactions and entries in one statement, so a statement-level trigger
-- with a transition table checks the whole batch in one set-based query.
-- 2. The at-most-one-reversal constraint indexed every transaction, almost all
-- with reversal_of NULL; a partial unique index indexes only reversals.
-- migrate:up
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_tenant_id_reversal_of_key;
CREATE UNIQUE INDEX ledger_transactions_reversal_idx ON ledger_transactions (tenant_id, reversal_of) WHERE reversal_of IS NOT NULL;

DROP TRIGGER ledger_transactions_have_entries ON ledger_transactions;
DROP FUNCTION ledger_transactions_have_entries();
CREATE FUNCTION ledger_transactions_have_entries() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER ledger_transactions_have_entries AFTER INSERT ON ledger_transactions
  REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION ledger_transactions_have_entries();

-- migrate:down
DROP INDEX ledger_transactions_reversal_idx;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_tenant_id_reversal_of_key UNIQUE (tenant_id, reversal_of);
DROP TRIGGER ledger_transactions_have_entries ON ledger_transactions;
DROP FUNCTION ledger_transactions_have_entries();
CREATE FUNCTION ledger_transactions_have_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE tenant_id = NEW.tenant_id AND transaction_id = NEW.id) THEN
    RAISE EXCEPTION 'transaction % has no entries', NEW.id USING ERRCODE = 'P0001';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_transactions_have_entries AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transactions_have_entries();
