-- An import's records by import (issue 18): its approval updates every record of the
-- import still submitted, checks their regions against the approver's scope, and
-- GET /v1/records/imports counts them; without this each was a scan of the tenant's records.
-- migrate:up
CREATE INDEX records_import_idx ON records (tenant_id, import_id) WHERE import_id IS NOT NULL;

-- migrate:down
DROP INDEX records_import_idx;
