-- Business dates in the ledger (issue 20). Every transaction and each of its
-- entries carries effective_on, the business day (Asia/Shanghai) it counts on,
-- beside created_at, the moment it was booked. Live postings are effective on
-- the day they are booked; only an approved go-live migration books into the
-- past. Existing rows were all live: they take the Shanghai date of created_at.
--
-- account_days keeps, per account, its balance at the end of each business day
-- on which something became effective, but the last (the account's own balance
-- is that day's), so a balance as of a day is one index lookup (the row with the
-- greatest day <= D, or the account's balance from its last day on) however long
-- the history and however it was booked. A batch posting to an account on a new
-- day writes the closing balance of its previous day, once a day per account; a
-- backdated posting adds its amount to its day's row and every later row before
-- the day of booking.
-- migrate:up
ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_immutable;
ALTER TABLE ledger_transactions ADD COLUMN effective_on date;
UPDATE ledger_transactions SET effective_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE ledger_transactions ALTER COLUMN effective_on SET NOT NULL;
ALTER TABLE ledger_transactions ALTER COLUMN effective_on SET DEFAULT (now() AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE ledger_transactions ENABLE TRIGGER ledger_transactions_immutable;

ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_immutable;
ALTER TABLE ledger_entries ADD COLUMN effective_on date;
UPDATE ledger_entries SET effective_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE ledger_entries ALTER COLUMN effective_on SET NOT NULL;
ALTER TABLE ledger_entries ALTER COLUMN effective_on SET DEFAULT (now() AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_immutable;
CREATE INDEX ledger_entries_effective_idx ON ledger_entries (tenant_id, account_id, effective_on);

CREATE TABLE account_days (
  tenant_id  uuid    NOT NULL,
  account_id bigint  NOT NULL,
  day        date    NOT NULL,
  balance    numeric NOT NULL,
  PRIMARY KEY (tenant_id, account_id, day),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
);
-- Until now booking order was effective order: a day's closing balance is the
-- balance after its last entry.
INSERT INTO account_days (tenant_id, account_id, day, balance)
SELECT DISTINCT ON (tenant_id, account_id, effective_on) tenant_id, account_id, effective_on, balance_after
  FROM ledger_entries
 ORDER BY tenant_id, account_id, effective_on, account_seq DESC;

-- The read model gains the business date.
CREATE OR REPLACE VIEW ledger_holder_entries AS
SELECT e.tenant_id, e.account_id, a.holder_type, a.holder_id, a.region_code, e.asset_code,
       e.account_seq, e.transaction_id, e.amount, e.balance_after, e.created_at, e.effective_on
  FROM ledger_entries e
  LEFT JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id;

-- migrate:down
DROP VIEW ledger_holder_entries;
CREATE VIEW ledger_holder_entries AS
SELECT e.tenant_id, e.account_id, a.holder_type, a.holder_id, a.region_code, e.asset_code,
       e.account_seq, e.transaction_id, e.amount, e.balance_after, e.created_at
  FROM ledger_entries e
  LEFT JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id;
DROP TABLE account_days;
DROP INDEX ledger_entries_effective_idx;
ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_immutable;
ALTER TABLE ledger_entries DROP COLUMN effective_on;
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_immutable;
ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_immutable;
ALTER TABLE ledger_transactions DROP COLUMN effective_on;
ALTER TABLE ledger_transactions ENABLE TRIGGER ledger_transactions_immutable;
