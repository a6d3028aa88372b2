-- The ledger: assets, accounts, immutable transactions and entries, holds,
-- idempotency records and the seal chain.
-- migrate:up
CREATE TABLE assets (
  tenant_id      uuid         NOT NULL REFERENCES tenants (id),
  code           varchar(16)  NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,15}$'),
  name           varchar(100) NOT NULL,
  holder_type    varchar(16)  NOT NULL CHECK (holder_type IN ('household', 'person', 'shop', 'fund')),
  scale          smallint     NOT NULL CHECK (scale BETWEEN 0 AND 6),
  redeemable     boolean      NOT NULL,
  allow_negative boolean      NOT NULL DEFAULT false,
  expiry_policy  varchar(8)   NOT NULL DEFAULT 'none' CHECK (expiry_policy IN ('none', 'days', 'yearEnd')),
  expiry_days    integer      CHECK (expiry_days > 0),
  created_at     timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, code),
  CHECK ((expiry_policy = 'days') = (expiry_days IS NOT NULL))
);

-- One account per holder x asset, plus system accounts (holder_type 'system':
-- 'issuer', 'expiry'). Ids come from one sequence so that every batch can lock
-- accounts in one global order. balance is the posted balance; pending is the
-- sum of open holds against it; available = balance - pending.
CREATE TABLE accounts (
  tenant_id     uuid        NOT NULL,
  id            bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
  asset_code    varchar(16) NOT NULL,
  holder_type   varchar(16) NOT NULL CHECK (holder_type IN ('household', 'person', 'shop', 'fund', 'system')),
  holder_id     varchar(64) NOT NULL,
  region_code   varchar(12),
  floor_policy  varchar(16) NOT NULL CHECK (floor_policy IN ('none', 'non_negative', 'spend_only')),
  balance       numeric     NOT NULL DEFAULT 0,
  pending       numeric     NOT NULL DEFAULT 0 CHECK (pending >= 0),
  entry_count   bigint      NOT NULL DEFAULT 0,
  last_entry_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, asset_code, holder_type, holder_id),
  FOREIGN KEY (tenant_id, asset_code) REFERENCES assets (tenant_id, code),
  -- The floor the database itself guarantees: a non_negative account never
  -- goes below zero, whatever the code above it does.
  CHECK (floor_policy <> 'non_negative' OR balance >= 0)
);

CREATE TABLE ledger_transactions (
  tenant_id   uuid         NOT NULL REFERENCES tenants (id),
  id          uuid         NOT NULL,
  seq         bigint       NOT NULL GENERATED ALWAYS AS IDENTITY,
  kind        varchar(16)  NOT NULL,
  memo        varchar(500) NOT NULL DEFAULT '',
  metadata    jsonb        NOT NULL DEFAULT '{}',
  source_type varchar(32),
  source_id   varchar(64),
  actor       varchar(100) NOT NULL,
  reversal_of uuid,
  created_at  timestamptz  NOT NULL,
  hash        bytea        NOT NULL,
  seal_no     bigint,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, reversal_of) REFERENCES ledger_transactions (tenant_id, id),
  -- A transaction is reversed at most once.
  UNIQUE (tenant_id, reversal_of)
);
CREATE INDEX ledger_transactions_unsealed_idx ON ledger_transactions (tenant_id, seq) WHERE seal_no IS NULL;
CREATE INDEX ledger_transactions_seal_idx ON ledger_transactions (tenant_id, seal_no, seq);
CREATE INDEX ledger_transactions_source_idx ON ledger_transactions (tenant_id, source_type, source_id) WHERE source_id IS NOT NULL;

-- amount is signed from the account's side (+ credit, - debit). balance_after
-- is the account's balance once this entry is applied, so "balance as of D"
-- is one index lookup and entry lists show running balances.
CREATE TABLE ledger_entries (
  tenant_id      uuid        NOT NULL,
  account_id     bigint      NOT NULL,
  account_seq    bigint      NOT NULL,
  transaction_id uuid        NOT NULL,
  asset_code     varchar(16) NOT NULL,
  amount         numeric     NOT NULL CHECK (amount <> 0),
  balance_after  numeric     NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, account_id, account_seq),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id)
);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (tenant_id, transaction_id);
CREATE INDEX ledger_entries_asof_idx ON ledger_entries (tenant_id, account_id, created_at, account_seq);

-- Two-phase holds: reserve now, complete (fully or partly), cancel or expire later.
CREATE TABLE ledger_holds (
  tenant_id         uuid         NOT NULL,
  id                uuid         NOT NULL,
  account_id        bigint       NOT NULL,
  counter_account_id bigint      NOT NULL,
  asset_code        varchar(16)  NOT NULL,
  amount            numeric      NOT NULL CHECK (amount > 0),
  status            varchar(12)  NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled', 'expired')),
  kind              varchar(16)  NOT NULL,
  memo              varchar(500) NOT NULL DEFAULT '',
  actor             varchar(100) NOT NULL,
  expires_at        timestamptz  NOT NULL,
  created_at        timestamptz  NOT NULL,
  resolved_at       timestamptz,
  completed_amount  numeric,
  transaction_id    uuid,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id),
  FOREIGN KEY (tenant_id, counter_account_id) REFERENCES accounts (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  CHECK ((status = 'pending') = (resolved_at IS NULL))
);
CREATE INDEX ledger_holds_expiry_idx ON ledger_holds (expires_at) WHERE status = 'pending';
CREATE INDEX ledger_holds_account_idx ON ledger_holds (tenant_id, account_id, created_at);

-- Idempotency: the key, a hash of the request and the answer, written in the
-- same DB transaction as the effect.
CREATE TABLE idempotency_keys (
  tenant_id    uuid         NOT NULL REFERENCES tenants (id),
  scope        varchar(100) NOT NULL,
  key          varchar(200) NOT NULL,
  request_hash bytea        NOT NULL,
  status_code  smallint     NOT NULL,
  response     jsonb        NOT NULL,
  created_at   timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, scope, key)
);

-- The seal chain, one per tenant: each seal covers a batch of transactions
-- and links to the previous seal's hash.
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
ALTER TABLE ledger_transactions
  ADD FOREIGN KEY (tenant_id, seal_no) REFERENCES ledger_seals (tenant_id, seal_no);

-- Entries and seals are append-only; the database refuses to change them.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_seals_immutable BEFORE UPDATE OR DELETE ON ledger_seals
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_seals_no_truncate BEFORE TRUNCATE ON ledger_seals
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- A transaction may only be stamped with its seal, once; nothing else changes.
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

-- Balanced per asset, checked by the database as well as the domain. A
-- statement-level trigger sees every entry the INSERT wrote (the writer inserts
-- all entries of a batch in one statement), so the check costs one query per
-- batch rather than one per row.
CREATE FUNCTION ledger_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_balanced();

-- A transaction without entries cannot commit: checked at commit time.
CREATE FUNCTION ledger_transactions_have_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE tenant_id = NEW.tenant_id AND transaction_id = NEW.id) THEN
    RAISE EXCEPTION 'transaction % has no entries', NEW.id USING ERRCODE = 'P0001';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_transactions_have_entries AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transactions_have_entries();

-- migrate:down
DROP TABLE ledger_holds;
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_tenant_id_seal_no_fkey;
DROP TABLE ledger_seals;
DROP TABLE idempotency_keys;
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
DROP TABLE accounts;
DROP TABLE assets;
DROP FUNCTION ledger_transactions_have_entries();
DROP FUNCTION ledger_entries_balanced();
DROP FUNCTION ledger_transactions_seal_only();
DROP FUNCTION ledger_refuse_change();
