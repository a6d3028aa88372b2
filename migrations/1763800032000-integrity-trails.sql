-- Integrity (issue 18): proven attendance, a second person on service records,
-- and trails that nobody can edit.
--
-- * activity_check_ins: a person's check-in and check-out at an activity, at the
--   server's clock, with the activity's code; signed hours are at most the span.
-- * service_records.reason: why hours were backfilled (补录); rated_by: who rated
--   a service order low, so that someone else reviews its hours.
-- * consent_events and api_key_events: what happened to a consent (granted,
--   revoked, expired) and to an API key (created, revoked), with who and when.
-- * record_history, bank_access_log, consent_events and api_key_events refuse
--   UPDATE, DELETE and TRUNCATE, as the journal does. (record_history already
--   refused DELETE and TRUNCATE.)
-- migrate:up
CREATE TABLE activity_check_ins (
  tenant_id      uuid         NOT NULL REFERENCES tenants (id),
  activity_id    uuid         NOT NULL,
  person_id      uuid         NOT NULL,
  checked_in_at  timestamptz  NOT NULL,
  checked_in_by  varchar(100) NOT NULL,
  checked_out_at timestamptz,
  checked_out_by varchar(100),
  PRIMARY KEY (tenant_id, activity_id, person_id),
  FOREIGN KEY (tenant_id, activity_id) REFERENCES activities (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id),
  CHECK (checked_out_at IS NULL OR checked_out_at >= checked_in_at)
);

ALTER TABLE service_records ADD COLUMN reason varchar(500);
ALTER TABLE service_records ADD COLUMN rated_by varchar(100);

CREATE TABLE consent_events (
  tenant_id  uuid         NOT NULL REFERENCES tenants (id),
  id         bigserial,
  consent_id uuid         NOT NULL,
  event      varchar(10)  NOT NULL CHECK (event IN ('granted', 'revoked', 'expired')),
  actor      varchar(100) NOT NULL,
  at         timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, consent_id) REFERENCES consents (tenant_id, id)
);
CREATE UNIQUE INDEX consent_events_once ON consent_events (tenant_id, consent_id, event);
INSERT INTO consent_events (tenant_id, consent_id, event, actor, at)
  SELECT tenant_id, id, 'granted', created_by, created_at FROM consents;
INSERT INTO consent_events (tenant_id, consent_id, event, actor, at)
  SELECT tenant_id, id, 'revoked', COALESCE(revoked_by, 'unknown'), revoked_at FROM consents WHERE revoked_at IS NOT NULL;

CREATE TABLE api_key_events (
  id         bigserial    PRIMARY KEY,
  tenant_id  uuid         NOT NULL REFERENCES tenants (id),
  key_id     uuid         NOT NULL REFERENCES api_keys (id),
  event      varchar(10)  NOT NULL CHECK (event IN ('created', 'revoked')),
  role       varchar(20)  NOT NULL,
  actor      varchar(100) NOT NULL,
  at         timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX api_key_events_tenant_idx ON api_key_events (tenant_id, at);
INSERT INTO api_key_events (tenant_id, key_id, event, role, actor, at)
  SELECT tenant_id, id, 'created', role, 'unknown', created_at FROM api_keys;
INSERT INTO api_key_events (tenant_id, key_id, event, role, actor, at)
  SELECT tenant_id, id, 'revoked', role, 'unknown', revoked_at FROM api_keys WHERE revoked_at IS NOT NULL;

CREATE FUNCTION refuse_trail_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER record_history_no_update BEFORE UPDATE ON record_history FOR EACH ROW EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER bank_access_log_append_only BEFORE UPDATE OR DELETE ON bank_access_log FOR EACH ROW EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER bank_access_log_no_truncate BEFORE TRUNCATE ON bank_access_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events FOR EACH ROW EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER api_key_events_append_only BEFORE UPDATE OR DELETE ON api_key_events FOR EACH ROW EXECUTE FUNCTION refuse_trail_change();
CREATE TRIGGER api_key_events_no_truncate BEFORE TRUNCATE ON api_key_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_trail_change();

-- migrate:down
DROP TRIGGER api_key_events_no_truncate ON api_key_events;
DROP TRIGGER api_key_events_append_only ON api_key_events;
DROP TRIGGER consent_events_no_truncate ON consent_events;
DROP TRIGGER consent_events_append_only ON consent_events;
DROP TRIGGER bank_access_log_no_truncate ON bank_access_log;
DROP TRIGGER bank_access_log_append_only ON bank_access_log;
DROP TRIGGER record_history_no_update ON record_history;
DROP FUNCTION refuse_trail_change();
DROP TABLE api_key_events;
DROP TABLE consent_events;
ALTER TABLE service_records DROP COLUMN rated_by;
ALTER TABLE service_records DROP COLUMN reason;
DROP TABLE activity_check_ins;
