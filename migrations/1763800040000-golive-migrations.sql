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
DROP TABLE golive_control_totals;
DROP TABLE golive_records;
DROP TABLE golive_opening_balances;
DROP TABLE golive_migrations;
