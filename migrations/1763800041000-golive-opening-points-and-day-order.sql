-- Opening points on the enrolment day (issue 20). A household entered with a
-- past enrolledOn joined the program before jifen: its opening points (a rule
-- set's openingPoints) belong on that day, and only an approved go-live
-- migration may post into the past. So its enrolment leaves the grant pending,
-- and the migration that covers its village posts it effective on the
-- enrolment day, by the rule set in force then (unless the migration carries
-- the household's opening balance from the paper ledger, which includes it).
--
-- A migration's approval posts the paper's decisions in the order of their
-- days (then their lines), read a chunk at a time by that key: posting a
-- history in day order adds one day to each account's daily balances, where
-- file order would rewrite every later day of the account for each posting.
-- migrate:up
CREATE INDEX golive_records_day_idx ON golive_records (tenant_id, migration_id, occurred_on, line);
ALTER TABLE households ADD COLUMN opening_pending boolean NOT NULL DEFAULT false;
CREATE INDEX households_opening_pending_idx ON households (tenant_id, village_code) WHERE opening_pending;

-- migrate:down
DROP INDEX golive_records_day_idx;
DROP INDEX households_opening_pending_idx;
ALTER TABLE households DROP COLUMN opening_pending;
