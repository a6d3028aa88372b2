-- Imports need a second person (issue 18): a file is entered `submitted` by one
-- key and approved as a whole by another (POST /v1/records/imports/{id}/approve).
-- migrate:up
ALTER TABLE record_imports ADD COLUMN approved_by varchar(100), ADD COLUMN approved_at timestamptz;
ALTER TABLE record_imports ADD CONSTRAINT record_imports_approved_together CHECK ((approved_by IS NULL) = (approved_at IS NULL));
-- The four eyes, in the database too: whoever entered the file never approves it.
ALTER TABLE record_imports ADD CONSTRAINT record_imports_four_eyes CHECK (approved_by IS DISTINCT FROM entered_by);

-- migrate:down
ALTER TABLE record_imports DROP CONSTRAINT record_imports_four_eyes;
ALTER TABLE record_imports DROP CONSTRAINT record_imports_approved_together;
ALTER TABLE record_imports DROP COLUMN approved_at, DROP COLUMN approved_by;
