-- Holders: households (户) and people (志愿者). ID numbers and phones are stored
-- encrypted (AES-256-GCM), looked up by a keyed hash, and shown masked.
-- migrate:up
CREATE TABLE households (
  tenant_id      uuid         NOT NULL REFERENCES tenants (id),
  id             uuid         NOT NULL,
  village_code   varchar(12)  NOT NULL,
  head_name      varchar(50)  NOT NULL,
  head_id_cipher bytea,
  head_id_lookup bytea,
  head_id_masked varchar(18),
  phone_cipher   bytea,
  phone_masked   varchar(20),
  pin_hash       varchar(200),
  created_at     timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, village_code) REFERENCES regions (tenant_id, code),
  UNIQUE (tenant_id, head_id_lookup)
);
CREATE INDEX households_village_idx ON households (tenant_id, village_code);

CREATE TABLE people (
  tenant_id    uuid         NOT NULL REFERENCES tenants (id),
  id           uuid         NOT NULL,
  name         varchar(50)  NOT NULL,
  region_code  varchar(12)  NOT NULL,
  household_id uuid,
  id_cipher    bytea,
  id_lookup    bytea,
  id_masked    varchar(18),
  phone_cipher bytea,
  phone_masked varchar(20),
  pin_hash     varchar(200),
  created_at   timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id),
  UNIQUE (tenant_id, id_lookup)
);
CREATE INDEX people_household_idx ON people (tenant_id, household_id) WHERE household_id IS NOT NULL;
CREATE INDEX people_region_idx ON people (tenant_id, region_code);

-- migrate:down
DROP TABLE people;
DROP TABLE households;
