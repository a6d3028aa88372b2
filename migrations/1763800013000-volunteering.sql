-- The activity library (活动库) and service records (志愿服务时长).
-- migrate:up
CREATE TABLE activities (
  tenant_id            uuid         NOT NULL REFERENCES tenants (id),
  id                   uuid         NOT NULL,
  title                varchar(200) NOT NULL,
  category             varchar(50)  NOT NULL,
  region_code          varchar(12)  NOT NULL,
  starts_at            timestamptz  NOT NULL,
  ends_at              timestamptz  NOT NULL,
  max_hours_per_person numeric      CHECK (max_hours_per_person > 0),
  status               varchar(8)   NOT NULL CHECK (status IN ('proposed', 'listed')),
  sign_in_code         varchar(6),
  proposed_by          varchar(100) NOT NULL,
  approved_by          varchar(100),
  created_at           timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code),
  CHECK (ends_at > starts_at),
  CHECK ((status = 'listed') = (sign_in_code IS NOT NULL))
);
CREATE INDEX activities_region_idx ON activities (tenant_id, region_code, starts_at);

CREATE TABLE service_records (
  tenant_id        uuid         NOT NULL REFERENCES tenants (id),
  id               uuid         NOT NULL,
  activity_id      uuid         NOT NULL,
  person_id        uuid         NOT NULL,
  region_code      varchar(12)  NOT NULL,
  hours            numeric      NOT NULL CHECK (hours > 0),
  kind             varchar(10)  NOT NULL CHECK (kind IN ('signed', 'backfilled')),
  status           varchar(10)  NOT NULL CHECK (status IN ('submitted', 'verified')),
  credited         numeric,
  rule_set_id      uuid,
  rule_set_version integer,
  transaction_id   uuid,
  entered_by       varchar(100) NOT NULL,
  verified_by      varchar(100),
  verified_at      timestamptz,
  created_at       timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, activity_id) REFERENCES activities (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  -- one attendance per person and activity
  UNIQUE (tenant_id, activity_id, person_id)
);
CREATE INDEX service_records_person_idx ON service_records (tenant_id, person_id, created_at);

-- migrate:down
DROP TABLE service_records;
DROP TABLE activities;
