-- 基础分 (issue 21): a rule set's baseGrant gives every enrolled household of its
-- region its base points once a period. One row per household, asset and period,
-- written in the transaction that posts the grant: the key makes a rerun (or a
-- second instance) skip what was granted, and a run that stopped halfway is
-- finished by the next one.
-- migrate:up
CREATE TABLE base_grants (
  tenant_id         uuid          NOT NULL REFERENCES tenants (id),
  household_id      uuid          NOT NULL,
  asset_code        varchar(16)   NOT NULL,
  period            char(7)       NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  points            numeric(20,6) NOT NULL CHECK (points > 0),
  rule_set_id       uuid          NOT NULL,
  rule_set_version  integer       NOT NULL,
  transaction_id    uuid,
  actor             varchar(80)   NOT NULL,
  granted_at        timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, household_id, asset_code, period),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id)
);
CREATE TRIGGER base_grants_no_delete BEFORE DELETE ON base_grants FOR EACH ROW EXECUTE FUNCTION refuse_delete();
CREATE TRIGGER base_grants_no_truncate BEFORE TRUNCATE ON base_grants FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();

-- migrate:down
DROP TABLE base_grants;
