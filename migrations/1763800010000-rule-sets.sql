-- Rule sets: versioned, per region and asset; drafted, activated, retired.
-- The document (items, sanctions, openingPoints, redeemFloor) is kept as
-- validated JSON; the columns are what lookups and the lifecycle need.
-- migrate:up
CREATE TABLE rule_sets (
  tenant_id      uuid         NOT NULL REFERENCES tenants (id),
  id             uuid         NOT NULL,
  region_code    varchar(12)  NOT NULL,
  asset_code     varchar(16)  NOT NULL,
  name           varchar(100) NOT NULL,
  version        integer      NOT NULL CHECK (version > 0),
  status         varchar(8)   NOT NULL CHECK (status IN ('draft', 'active', 'retired')),
  effective_from date         NOT NULL,
  -- exclusive; set when a successor is activated
  effective_to   date,
  extends_id     uuid,
  adopted_by     varchar(200),
  document       jsonb        NOT NULL,
  created_at     timestamptz  NOT NULL DEFAULT now(),
  activated_at   timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, region_code, asset_code, version),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code),
  FOREIGN KEY (tenant_id, asset_code) REFERENCES assets (tenant_id, code),
  FOREIGN KEY (tenant_id, extends_id) REFERENCES rule_sets (tenant_id, id),
  CHECK (effective_to IS NULL OR effective_to > effective_from),
  CHECK ((status = 'draft') = (activated_at IS NULL))
);
-- At most one active set per region and asset.
CREATE UNIQUE INDEX rule_sets_one_active_idx ON rule_sets (tenant_id, region_code, asset_code) WHERE status = 'active';
CREATE INDEX rule_sets_lookup_idx ON rule_sets (tenant_id, asset_code, region_code, effective_from) WHERE status <> 'draft';

-- A set that has been activated is never edited: only its status and end date move.
CREATE FUNCTION rule_sets_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'draft'
     AND (to_jsonb(NEW) - 'status' - 'effective_to') <> (to_jsonb(OLD) - 'status' - 'effective_to') THEN
    RAISE EXCEPTION 'rule set % is % and cannot be edited; draft a new version', OLD.id, OLD.status USING ERRCODE = 'P0001';
  END IF;
  IF TG_OP = 'DELETE' AND OLD.status <> 'draft' THEN
    RAISE EXCEPTION 'rule set % is % and cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'P0001';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER rule_sets_frozen BEFORE UPDATE OR DELETE ON rule_sets
  FOR EACH ROW EXECUTE FUNCTION rule_sets_frozen();

-- migrate:down
DROP TABLE rule_sets;
DROP FUNCTION rule_sets_frozen();
