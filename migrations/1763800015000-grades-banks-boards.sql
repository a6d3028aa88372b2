-- Scorecards, grade runs and their results; banks, consents, loans, the bank access log;
-- the deployment's export signing key; red/black boards.
-- migrate:up
CREATE TABLE scorecards (
  tenant_id  uuid         NOT NULL REFERENCES tenants (id),
  id         uuid         NOT NULL,
  name       varchar(100) NOT NULL,
  version    integer      NOT NULL CHECK (version > 0),
  document   jsonb        NOT NULL,
  created_by varchar(100) NOT NULL,
  created_at timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name, version)
);

CREATE TABLE grade_runs (
  tenant_id         uuid         NOT NULL REFERENCES tenants (id),
  id                uuid         NOT NULL,
  region_code       varchar(12)  NOT NULL,
  as_of             date         NOT NULL,
  scorecard_id      uuid         NOT NULL,
  scorecard_version integer      NOT NULL,
  status            varchar(10)  NOT NULL CHECK (status IN ('draft', 'published')),
  households        integer      NOT NULL,
  distribution      jsonb        NOT NULL,
  created_by        varchar(100) NOT NULL,
  created_at        timestamptz  NOT NULL DEFAULT now(),
  published_at      timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code),
  FOREIGN KEY (tenant_id, scorecard_id) REFERENCES scorecards (tenant_id, id),
  CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE INDEX grade_runs_published_idx ON grade_runs (tenant_id, region_code, published_at DESC) WHERE status = 'published';

CREATE TABLE grade_results (
  tenant_id    uuid        NOT NULL,
  run_id       uuid        NOT NULL,
  household_id uuid        NOT NULL,
  region_code  varchar(12) NOT NULL,
  features     jsonb       NOT NULL,  -- { feature: value }
  points       jsonb       NOT NULL,  -- { feature: points }
  score        numeric     NOT NULL,
  grade        varchar(8),
  credit_line  numeric,
  rate_tier    varchar(20),
  capped_by    jsonb       NOT NULL DEFAULT '[]',
  PRIMARY KEY (tenant_id, run_id, household_id),
  FOREIGN KEY (tenant_id, run_id) REFERENCES grade_runs (tenant_id, id)
);
CREATE INDEX grade_results_region_idx ON grade_results (tenant_id, run_id, region_code, household_id);

-- A published run never changes.
CREATE FUNCTION jifen_grade_results_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM grade_runs WHERE tenant_id = OLD.tenant_id AND id = OLD.run_id AND status = 'published') THEN
    RAISE EXCEPTION 'grade run % is published and cannot change', OLD.run_id;
  END IF;
  RETURN COALESCE(NEW, OLD);
END $$;
-- Results are inserted once, when the run is computed (a draft); after that they are never written.
CREATE TRIGGER grade_results_frozen BEFORE UPDATE OR DELETE ON grade_results
  FOR EACH ROW EXECUTE FUNCTION jifen_grade_results_frozen();

CREATE TABLE banks (
  tenant_id  uuid         NOT NULL REFERENCES tenants (id),
  id         uuid         NOT NULL,
  name       varchar(100) NOT NULL,
  created_at timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE consents (
  tenant_id    uuid         NOT NULL REFERENCES tenants (id),
  id           uuid         NOT NULL,
  household_id uuid         NOT NULL,
  bank_id      uuid         NOT NULL,
  scope        varchar(20)  NOT NULL CHECK (scope IN ('credit-grade')),
  expires_on   date         NOT NULL,
  document_ref varchar(200) NOT NULL,
  created_by   varchar(100) NOT NULL,
  created_at   timestamptz  NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  revoked_by   varchar(100),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id),
  FOREIGN KEY (tenant_id, bank_id) REFERENCES banks (tenant_id, id)
);
CREATE INDEX consents_bank_idx ON consents (tenant_id, bank_id, household_id) WHERE revoked_at IS NULL;

CREATE TABLE bank_loans (
  tenant_id    uuid         NOT NULL REFERENCES tenants (id),
  id           uuid         NOT NULL,
  bank_id      uuid         NOT NULL,
  household_id uuid         NOT NULL,
  amount       numeric      NOT NULL CHECK (amount > 0),
  rate         numeric      NOT NULL CHECK (rate >= 0),
  granted_on   date         NOT NULL,
  reported_by  varchar(100) NOT NULL,
  created_at   timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, bank_id) REFERENCES banks (tenant_id, id),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id)
);
CREATE INDEX bank_loans_household_idx ON bank_loans (tenant_id, household_id);

CREATE TABLE bank_access_log (
  tenant_id  uuid         NOT NULL REFERENCES tenants (id),
  id         bigserial,
  bank_id    uuid         NOT NULL,
  key_id     uuid         NOT NULL,
  endpoint   varchar(200) NOT NULL,
  households integer      NOT NULL,
  run_id     uuid,
  at         timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX bank_access_log_idx ON bank_access_log (tenant_id, bank_id, at);

-- One Ed25519 key pair per deployment; the private key encrypted with the PII key.
CREATE TABLE signing_keys (
  id                 smallint     PRIMARY KEY CHECK (id = 1),
  public_key         text         NOT NULL,
  private_key_cipher text         NOT NULL,
  created_at         timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE boards (
  tenant_id    uuid        NOT NULL REFERENCES tenants (id),
  id           uuid        NOT NULL,
  village_code varchar(12) NOT NULL,
  period       varchar(7)  NOT NULL,
  status       varchar(10) NOT NULL CHECK (status IN ('draft', 'published')),
  red          jsonb       NOT NULL,
  black        jsonb       NOT NULL,
  created_by   varchar(100) NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, village_code, period),
  FOREIGN KEY (tenant_id, village_code) REFERENCES regions (tenant_id, code),
  CHECK ((status = 'published') = (published_at IS NOT NULL))
);

-- A published board never changes.
CREATE FUNCTION jifen_boards_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'published' THEN
    RAISE EXCEPTION 'board % is published and cannot change', OLD.id;
  END IF;
  RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER boards_frozen BEFORE UPDATE OR DELETE ON boards
  FOR EACH ROW EXECUTE FUNCTION jifen_boards_frozen();

-- migrate:down
DROP TABLE boards;
DROP FUNCTION jifen_boards_frozen();
DROP TABLE signing_keys;
DROP TABLE bank_access_log;
DROP TABLE bank_loans;
DROP TABLE consents;
DROP TABLE banks;
DROP TABLE grade_results;
DROP FUNCTION jifen_grade_results_frozen();
DROP TABLE grade_runs;
DROP TABLE scorecards;
