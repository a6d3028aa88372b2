-- Public anchors of the ledger (issue 18). When a board or a grade list is
-- published, the latest seal of the tenant's hash chain is recorded with it
-- (hash, seal number, the last transaction it covers, when it was sealed) and
-- printed on the public page. Anyone holding the printed page can later check
-- that today's chain still passes through that seal (npm run ledger:verify --
-- --anchor <hash>): history rewritten after the publication cannot keep it.
-- Append-only, like every trail.
-- migrate:up
CREATE TABLE ledger_anchors (
  tenant_id           uuid         NOT NULL REFERENCES tenants (id),
  id                  bigserial,
  seal_no             bigint       NOT NULL,
  seal_hash           bytea        NOT NULL,
  last_transaction_id uuid         NOT NULL,
  sealed_at           timestamptz  NOT NULL,
  publication_type    varchar(10)  NOT NULL CHECK (publication_type IN ('board', 'grades')),
  publication_id      uuid         NOT NULL,
  region_code         varchar(12)  NOT NULL,
  anchored_at         timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, seal_no) REFERENCES ledger_seals (tenant_id, seal_no),
  UNIQUE (tenant_id, publication_type, publication_id)
);
CREATE TRIGGER ledger_anchors_append_only BEFORE UPDATE OR DELETE ON ledger_anchors FOR EACH ROW EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER ledger_anchors_no_truncate BEFORE TRUNCATE ON ledger_anchors FOR EACH STATEMENT EXECUTE FUNCTION refuse_trail_change();

-- migrate:down
DROP TABLE ledger_anchors;
