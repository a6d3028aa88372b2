-- Enrolment dates and grades by business dates (issue 20). Households and
-- people carry enrolled_on, the day they joined the program (default: the day
-- they are entered; existing ones: the Shanghai day they were entered), and
-- yearsEnrolled counts from it. The ledger's read model gains each holder
-- account's closing balance per business day (account_days), so a grade run as
-- of a past day reads balances as they were effective then, by index.
-- migrate:up
ALTER TABLE households ADD COLUMN enrolled_on date;
UPDATE households SET enrolled_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE households ALTER COLUMN enrolled_on SET NOT NULL;
ALTER TABLE households ALTER COLUMN enrolled_on SET DEFAULT (now() AT TIME ZONE 'Asia/Shanghai')::date;

ALTER TABLE people ADD COLUMN enrolled_on date;
UPDATE people SET enrolled_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE people ALTER COLUMN enrolled_on SET NOT NULL;
ALTER TABLE people ALTER COLUMN enrolled_on SET DEFAULT (now() AT TIME ZONE 'Asia/Shanghai')::date;

-- One row per holder account and business day on which something became effective:
-- its closing balance. The days account_days keeps (every day but the account's
-- last), and the last day, whose balance is the account's own. As of day D: the
-- row with the greatest day <= D.
CREATE VIEW ledger_holder_days AS
SELECT d.tenant_id, d.account_id, d.day, d.balance
  FROM account_days d
UNION ALL
SELECT a.tenant_id, a.id, (a.last_entry_at AT TIME ZONE 'Asia/Shanghai')::date, a.balance
  FROM accounts a
 WHERE a.last_entry_at IS NOT NULL AND a.holder_type <> 'system';

-- migrate:down
DROP VIEW ledger_holder_days;
ALTER TABLE people DROP COLUMN enrolled_on;
ALTER TABLE households DROP COLUMN enrolled_on;
