-- Platform tables: tenants (county centers), the region tree, API keys.
-- migrate:up
CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  region_code varchar(6)   NOT NULL UNIQUE CHECK (region_code ~ '^[0-9]{6}$'),
  name        varchar(100) NOT NULL,
  created_at  timestamptz  NOT NULL DEFAULT now()
);

-- Region codes are national statistical division codes: a township's code
-- starts with its county's, a village's with its township's. Scope checks are
-- therefore prefix checks.
CREATE TABLE regions (
  tenant_id   uuid         NOT NULL REFERENCES tenants (id),
  code        varchar(12)  NOT NULL,
  name        varchar(100) NOT NULL,
  level       varchar(8)   NOT NULL CHECK (level IN ('county', 'township', 'village')),
  parent_code varchar(12),
  created_at  timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_code) REFERENCES regions (tenant_id, code),
  CHECK (
       (level = 'county'   AND parent_code IS NULL AND code ~ '^[0-9]{6}$')
    OR (level = 'township' AND length(parent_code) = 6 AND code ~ '^[0-9]{9}$' AND left(code, 6) = parent_code)
    OR (level = 'village'  AND length(parent_code) = 9 AND code ~ '^[0-9]{12}$' AND left(code, 9) = parent_code)
  )
);
CREATE INDEX regions_parent_idx ON regions (tenant_id, parent_code);

-- API keys are looked up by id before the tenant is known, so this is a
-- platform table (a Citus reference table when distributed).
CREATE TABLE api_keys (
  id                uuid PRIMARY KEY,
  tenant_id         uuid         NOT NULL REFERENCES tenants (id),
  name              varchar(100) NOT NULL,
  role              varchar(16)  NOT NULL CHECK (role IN ('admin', 'clerk', 'reviewer', 'organizer', 'shopkeeper', 'bank', 'auditor')),
  scope_region_code varchar(12)  NOT NULL,
  shop_id           uuid,
  bank_id           uuid,
  secret_hash       bytea        NOT NULL,
  created_at        timestamptz  NOT NULL DEFAULT now(),
  revoked_at        timestamptz,
  FOREIGN KEY (tenant_id, scope_region_code) REFERENCES regions (tenant_id, code),
  CHECK ((role = 'shopkeeper') = (shop_id IS NOT NULL)),
  CHECK ((role = 'bank') = (bank_id IS NOT NULL))
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- migrate:down
DROP TABLE api_keys;
DROP TABLE regions;
DROP TABLE tenants;
