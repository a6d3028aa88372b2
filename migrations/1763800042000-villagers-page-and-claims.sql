-- The villagers' page and claims (issue 21).
--
-- evidence_files: photos kept content-addressed. The bytes live in the evidence
-- store (EVIDENCE_DIR, or object storage), named by their SHA-256 after their
-- metadata was stripped; this table says which tenant holds which file, what it
-- is and how big. A file is never deleted nor changed: a rejected or voided
-- record keeps its evidence.
--
-- records.source: how a record came in. 'entry' (a clerk, an import, a
-- migration) or 'claim' (申报: entered by the household itself from its page).
--
-- household_sessions: a villager's PIN unlocks the household's page for 30
-- minutes; the cookie carries a random token, stored here only as its hash.
-- migrate:up
CREATE TABLE evidence_files (
  tenant_id   uuid         NOT NULL REFERENCES tenants (id),
  sha256      char(64)     NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  media_type  varchar(32)  NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
  bytes       integer      NOT NULL CHECK (bytes > 0),
  width       integer      NOT NULL,
  height      integer      NOT NULL,
  created_by  varchar(80)  NOT NULL,
  created_at  timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, sha256)
);
CREATE TRIGGER evidence_files_append_only BEFORE UPDATE OR DELETE ON evidence_files FOR EACH ROW EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER evidence_files_no_truncate BEFORE TRUNCATE ON evidence_files FOR EACH STATEMENT EXECUTE FUNCTION refuse_trail_change();

ALTER TABLE records ADD COLUMN source varchar(16) NOT NULL DEFAULT 'entry' CHECK (source IN ('entry', 'claim'));
-- A household's claims of the last day (the rate limit), and the reviewers' queue of claims.
CREATE INDEX records_claims_idx ON records (tenant_id, holder_id, created_at) WHERE source = 'claim';

CREATE TABLE household_sessions (
  token_hash    char(64)     PRIMARY KEY,
  tenant_id     uuid         NOT NULL REFERENCES tenants (id),
  household_id  uuid         NOT NULL,
  expires_at    timestamptz  NOT NULL,
  created_at    timestamptz  NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id)
);
CREATE INDEX household_sessions_expiry_idx ON household_sessions (expires_at);

-- migrate:down
DROP TABLE household_sessions;
DROP INDEX records_claims_idx;
ALTER TABLE records DROP COLUMN source;
DROP TABLE evidence_files;
