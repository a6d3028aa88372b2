-- Sanctions: a household's benefits (惠民政策) suspended by a rule set's sanction rule.
-- migrate:up
CREATE TABLE sanctions (
  tenant_id        uuid         NOT NULL REFERENCES tenants (id),
  id               uuid         NOT NULL,
  household_id     uuid         NOT NULL,
  rule_set_id      uuid         NOT NULL,
  code             varchar(16)  NOT NULL,
  benefit_codes    jsonb        NOT NULL,
  status           varchar(8)   NOT NULL CHECK (status IN ('active', 'lifted')),
  activated_at     timestamptz  NOT NULL DEFAULT now(),
  activated_reason varchar(500) NOT NULL,
  lifted_at        timestamptz,
  lifted_reason    varchar(500),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id),
  FOREIGN KEY (tenant_id, rule_set_id) REFERENCES rule_sets (tenant_id, id),
  CHECK ((status = 'lifted') = (lifted_at IS NOT NULL))
);
CREATE UNIQUE INDEX sanctions_one_active_idx ON sanctions (tenant_id, household_id, rule_set_id, code) WHERE status = 'active';
CREATE INDEX sanctions_household_idx ON sanctions (tenant_id, household_id, activated_at);

-- migrate:down
DROP TABLE sanctions;
