-- Imports enter first, post after (issue 16). An import is one row here; its
-- records carry import_id and their line. Records approved on entry with no
-- notice period wait as 'approved' until the posting runs, in short
-- transactions, by the import itself or, after a crash, by the notice job
-- (post_after: the business day from which it may post; pushed back a day when
-- the ledger refuses it). No foreign key from records.import_id: an import's
-- 200,000 records would pay a row-level probe each (see 1763800021000), and
-- record_imports rows are never deleted.
-- migrate:up
CREATE TABLE record_imports (
  tenant_id     uuid         NOT NULL REFERENCES tenants (id),
  id            uuid         NOT NULL,
  entered_by    varchar(100) NOT NULL,
  approval_ref  varchar(100),
  lines         integer      NOT NULL CHECK (lines >= 0),
  accepted      integer      NOT NULL CHECK (accepted >= 0),
  created_at    timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE TRIGGER record_imports_no_delete BEFORE DELETE ON record_imports FOR EACH ROW EXECUTE FUNCTION refuse_delete();

ALTER TABLE records ADD COLUMN import_id uuid, ADD COLUMN import_line integer, ADD COLUMN post_after date;
ALTER TABLE records DROP CONSTRAINT records_status_check;
ALTER TABLE records ADD CONSTRAINT records_status_check
  CHECK (status IN ('submitted', 'approved', 'in_notice', 'posted', 'rejected', 'objected', 'voided'));
ALTER TABLE records ADD CONSTRAINT records_approved_has_date CHECK ((status = 'approved') = (post_after IS NOT NULL));
-- The posting of approved records: by import in file order (a credit earlier in the file
-- posts before a deduction that needs it), and by day for the job.
CREATE INDEX records_approved_idx ON records (tenant_id, import_id, holder_id, import_line) WHERE status = 'approved';
CREATE INDEX records_approved_due_idx ON records (post_after, tenant_id, import_id) WHERE status = 'approved';

-- migrate:down
DROP INDEX records_approved_due_idx;
DROP INDEX records_approved_idx;
ALTER TABLE records DROP CONSTRAINT records_approved_has_date;
ALTER TABLE records DROP CONSTRAINT records_status_check;
ALTER TABLE records ADD CONSTRAINT records_status_check
  CHECK (status IN ('submitted', 'in_notice', 'posted', 'rejected', 'objected', 'voided'));
ALTER TABLE records DROP COLUMN post_after, DROP COLUMN import_line, DROP COLUMN import_id;
DROP TABLE record_imports;
