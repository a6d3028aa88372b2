-- The ledger's read model: what other modules may select (issue 17, docs/ledger.md,
-- "Reading the ledger from another module"). The ledger owns these views and keeps
-- their columns; its tables stay its own. Views are inlined by the planner, so a
-- query on them plans as it would on the tables.
-- migrate:up
-- One row per account of a holder (households, people, shops, funds): what it holds now.
CREATE VIEW ledger_holder_balances AS
SELECT a.tenant_id, a.id AS account_id, a.holder_type, a.holder_id, a.asset_code, a.region_code,
       a.balance, a.pending, a.balance - a.pending AS available
  FROM accounts a
 WHERE a.holder_type <> 'system';

-- One row per entry on a holder's account, with the holder: for sums over time and
-- balances as of a moment (balance_after of the last entry before it). A LEFT JOIN,
-- so that a query using only entry columns plans without the join.
CREATE VIEW ledger_holder_entries AS
SELECT e.tenant_id, e.account_id, a.holder_type, a.holder_id, a.region_code, e.asset_code,
       e.account_seq, e.transaction_id, e.amount, e.balance_after, e.created_at
  FROM ledger_entries e
  LEFT JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id;

-- migrate:down
DROP VIEW ledger_holder_entries;
DROP VIEW ledger_holder_balances;
