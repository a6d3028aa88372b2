-- Seals by transaction-id horizon instead of stamping each transaction.
-- Stamping (UPDATE ... SET seal_no) rewrote every transaction row a second
-- time. Now each transaction records the id of the database transaction that
-- wrote it (writer_xid), and a seal covers every ledger transaction whose
-- writer finished before a horizon: pg_snapshot_xmin at sealing time, below
-- which no writer can still commit. Ledger transactions become fully immutable.
-- Seals are derived data: existing ones are dropped and the sealer rebuilds
-- the chain from the first transaction.
-- migrate:up
DROP TRIGGER ledger_transactions_immutable ON ledger_transactions;
DROP FUNCTION ledger_transactions_seal_only();
CREATE TRIGGER ledger_transactions_immutable BEFORE UPDATE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_tenant_id_seal_no_fkey;
DROP INDEX ledger_transactions_unsealed_idx;
DROP INDEX ledger_transactions_seal_idx;
ALTER TABLE ledger_transactions DROP COLUMN seal_no;
ALTER TABLE ledger_transactions ADD COLUMN writer_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX ledger_transactions_writer_idx ON ledger_transactions (tenant_id, writer_xid, seq);

DROP TABLE ledger_seals;
CREATE TABLE ledger_seals (
  tenant_id  uuid        NOT NULL REFERENCES tenants (id),
  seal_no    bigint      NOT NULL,
  prev_hash  bytea       NOT NULL,
  hash       bytea       NOT NULL,
  tx_count   integer     NOT NULL,
  -- covers writer_xid in [xid_from, xid_to)
  xid_from   xid8        NOT NULL,
  xid_to     xid8        NOT NULL,
  sealed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seal_no)
);
CREATE TRIGGER ledger_seals_immutable BEFORE UPDATE OR DELETE ON ledger_seals
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_seals_no_truncate BEFORE TRUNCATE ON ledger_seals
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- migrate:down
DROP TABLE ledger_seals;
CREATE TABLE ledger_seals (
  tenant_id  uuid        NOT NULL REFERENCES tenants (id),
  seal_no    bigint      NOT NULL,
  prev_hash  bytea       NOT NULL,
  hash       bytea       NOT NULL,
  tx_count   integer     NOT NULL,
  first_seq  bigint      NOT NULL,
  last_seq   bigint      NOT NULL,
  sealed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seal_no)
);
CREATE TRIGGER ledger_seals_immutable BEFORE UPDATE OR DELETE ON ledger_seals
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_seals_no_truncate BEFORE TRUNCATE ON ledger_seals
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

DROP INDEX ledger_transactions_writer_idx;
ALTER TABLE ledger_transactions DROP COLUMN writer_xid;
ALTER TABLE ledger_transactions ADD COLUMN seal_no bigint;
CREATE INDEX ledger_transactions_unsealed_idx ON ledger_transactions (tenant_id, seq) WHERE seal_no IS NULL;
CREATE INDEX ledger_transactions_seal_idx ON ledger_transactions (tenant_id, seal_no, seq);
ALTER TABLE ledger_transactions
  ADD FOREIGN KEY (tenant_id, seal_no) REFERENCES ledger_seals (tenant_id, seal_no);

DROP TRIGGER ledger_transactions_immutable ON ledger_transactions;
CREATE FUNCTION ledger_transactions_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.seal_no IS NULL AND NEW.seal_no IS NOT NULL
     AND (to_jsonb(NEW) - 'seal_no') = (to_jsonb(OLD) - 'seal_no') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ledger transactions are immutable (only sealing is allowed)' USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER ledger_transactions_immutable BEFORE UPDATE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_transactions_seal_only();
