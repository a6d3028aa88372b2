-- Export signing keys belong to a county and rotate (issue 18). Each key has a
-- keyId (the first 16 hex digits of SHA-256 over its public key's DER), an
-- activeFrom and, once rotated out, a retiredAt; retired keys stay listed so
-- that every export signed before a rotation still verifies. At most one key
-- of a tenant is current. Private keys stay encrypted with the PII key.
--
-- The deployment's one key (signing_keys, id = 1) becomes every existing
-- tenant's first key, so exports signed before this migration keep verifying
-- under the keyId they are now listed with.
-- migrate:up
CREATE TABLE export_signing_keys (
  tenant_id          uuid         NOT NULL REFERENCES tenants (id),
  key_id             varchar(16)  NOT NULL,
  public_key         text         NOT NULL,
  private_key_cipher text         NOT NULL,
  active_from        timestamptz  NOT NULL DEFAULT now(),
  retired_at         timestamptz,
  created_by         varchar(100) NOT NULL,
  PRIMARY KEY (tenant_id, key_id),
  CHECK (retired_at IS NULL OR retired_at >= active_from)
);
CREATE UNIQUE INDEX export_signing_keys_current ON export_signing_keys (tenant_id) WHERE retired_at IS NULL;

INSERT INTO export_signing_keys (tenant_id, key_id, public_key, private_key_cipher, active_from, created_by)
  SELECT t.id, substr(encode(sha256(decode(k.public_key, 'base64')), 'hex'), 1, 16), k.public_key, k.private_key_cipher, k.created_at, 'migration'
    FROM tenants t CROSS JOIN signing_keys k;

-- Keys are never deleted, and a key's material never changes: only retired_at is set, once.
CREATE FUNCTION export_signing_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'export signing keys are never deleted: % refused', TG_OP USING ERRCODE = 'P0001';
  END IF;
  IF NEW.tenant_id <> OLD.tenant_id OR NEW.key_id <> OLD.key_id OR NEW.public_key <> OLD.public_key
     OR NEW.private_key_cipher <> OLD.private_key_cipher OR NEW.active_from <> OLD.active_from
     OR OLD.retired_at IS NOT NULL THEN
    RAISE EXCEPTION 'an export signing key only retires, once' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER export_signing_keys_guard BEFORE UPDATE OR DELETE ON export_signing_keys FOR EACH ROW EXECUTE FUNCTION export_signing_keys_guard();
CREATE TRIGGER export_signing_keys_no_truncate BEFORE TRUNCATE ON export_signing_keys FOR EACH STATEMENT EXECUTE FUNCTION export_signing_keys_guard();

DROP TABLE signing_keys;

-- migrate:down
CREATE TABLE signing_keys (
  id                 smallint     PRIMARY KEY CHECK (id = 1),
  public_key         text         NOT NULL,
  private_key_cipher text         NOT NULL,
  created_at         timestamptz  NOT NULL DEFAULT now()
);
INSERT INTO signing_keys (id, public_key, private_key_cipher, created_at)
  SELECT 1, public_key, private_key_cipher, active_from FROM export_signing_keys ORDER BY active_from LIMIT 1;
DROP TABLE export_signing_keys;
DROP FUNCTION export_signing_keys_guard();
