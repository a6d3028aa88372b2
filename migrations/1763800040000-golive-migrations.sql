-- Go-live migrations (issue 20): a county brings its paper ledger in. An admin
-- drafts a migration and uploads what the paper says (opening balances, each
-- as of its day); the paper ledger's closing totals per village are declared;
-- another admin approves, which posts everything in one database transaction,
-- each posting effective on its own (past) day, and refuses it all when a
-- village's resulting balance differs from its declared total.
-- migrate:up
CREATE TABLE golive_migrations (
  tenant_id    uuid         NOT NULL REFERENCES tenants (id),
  id           uuid         NOT NULL,
  name         varchar(100) NOT NULL,
  reference    varchar(200) NOT NULL,
  status       varchar(10)  NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'applied')),
  created_by   varchar(60)  NOT NULL,
  created_at   timestamptz  NOT NULL DEFAULT now(),
  approved_by  varchar(60),
  applied_at   timestamptz,
  transactions integer,
  PRIMARY KEY (tenant_id, id),
  CHECK (approved_by IS NULL OR approved_by <> created_by)
);

CREATE TABLE golive_opening_balances (
  tenant_id    uuid         NOT NULL,
  migration_id uuid         NOT NULL,
  household_id uuid         NOT NULL,
  asset_code   varchar(16)  NOT NULL,
  village_code varchar(12)  NOT NULL,
  balance      numeric      NOT NULL,
  as_of        date         NOT NULL,
  line         integer      NOT NULL,
  PRIMARY KEY (tenant_id, migration_id, household_id, asset_code),
  FOREIGN KEY (tenant_id, migration_id) REFERENCES golive_migrations (tenant_id, id),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id)
);

-- Decisions already taken on paper: entered as posted records, without notice,
-- effective on the day they occurred.
CREATE TABLE golive_records (
  tenant_id    uuid         NOT NULL,
  migration_id uuid         NOT NULL,
  line         integer      NOT NULL,
  household_id uuid         NOT NULL,
  village_code varchar(12)  NOT NULL,
  rule_code    varchar(16)  NOT NULL,
  quantity     numeric      NOT NULL CHECK (quantity > 0),
  occurred_on  date         NOT NULL,
  note         varchar(500),
  PRIMARY KEY (tenant_id, migration_id, line),
  FOREIGN KEY (tenant_id, migration_id) REFERENCES golive_migrations (tenant_id, id),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id)
);

-- Past volunteer hours from the paper logs: counted as backfilled and verified
-- service (volunteering's service_records, with this migration as their
-- source), without 益币.
CREATE TABLE golive_service_hours (
  tenant_id    uuid         NOT NULL,
  migration_id uuid         NOT NULL,
  line         integer      NOT NULL,
  person_id    uuid         NOT NULL,
  region_code  varchar(12)  NOT NULL,
  title        varchar(200) NOT NULL,
  served_on    date         NOT NULL,
  hours        numeric      NOT NULL CHECK (hours > 0 AND hours <= 24),
  PRIMARY KEY (tenant_id, migration_id, line),
  FOREIGN KEY (tenant_id, migration_id) REFERENCES golive_migrations (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id)
);

ALTER TABLE service_records ADD COLUMN migration_id uuid;
ALTER TABLE service_records DROP CONSTRAINT service_records_one_source;
ALTER TABLE service_records ADD CONSTRAINT service_records_one_source
  CHECK ((activity_id IS NOT NULL)::int + (order_id IS NOT NULL)::int + (migration_id IS NOT NULL)::int = 1);

CREATE TABLE golive_control_totals (
  tenant_id    uuid         NOT NULL,
  migration_id uuid         NOT NULL,
  village_code varchar(12)  NOT NULL,
  asset_code   varchar(16)  NOT NULL,
  balance      numeric      NOT NULL,
  PRIMARY KEY (tenant_id, migration_id, village_code, asset_code),
  FOREIGN KEY (tenant_id, migration_id) REFERENCES golive_migrations (tenant_id, id),
  FOREIGN KEY (tenant_id, village_code) REFERENCES regions (tenant_id, code)
);

-- migrate:down
DELETE FROM service_records WHERE migration_id IS NOT NULL;
ALTER TABLE service_records DROP CONSTRAINT service_records_one_source;
ALTER TABLE service_records ADD CONSTRAINT service_records_one_source CHECK ((activity_id IS NULL) <> (order_id IS NULL));
ALTER TABLE service_records DROP COLUMN migration_id;
DROP TABLE golive_service_hours;
DROP TABLE golive_control_totals;
DROP TABLE golive_records;
DROP TABLE golive_opening_balances;
DROP TABLE golive_migrations;
