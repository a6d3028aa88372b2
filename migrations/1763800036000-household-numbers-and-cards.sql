-- Household numbers (户号) and door cards (issue 19). Every household carries
-- `no`, `<villageCode>-<sequence>`, given at creation from a per-village
-- counter that only ever grows, so a number is never given twice, even after a
-- rolled-back enrolment (the gap stays a gap). Existing households are numbered
-- in creation order. The door card's token is random (192 bits, base64url),
-- stored as its SHA-256 only, and rotatable: the QR code printed on the door is
-- `<PUBLIC_BASE_URL>/h/<token>`, and a rotated token finds nothing.
-- migrate:up
CREATE TABLE household_counters (
  tenant_id    uuid        NOT NULL REFERENCES tenants (id),
  village_code varchar(12) NOT NULL,
  last_seq     integer     NOT NULL CHECK (last_seq > 0),
  PRIMARY KEY (tenant_id, village_code),
  FOREIGN KEY (tenant_id, village_code) REFERENCES regions (tenant_id, code)
);

ALTER TABLE households ADD COLUMN no varchar(24);
ALTER TABLE households ADD COLUMN card_token_hash bytea;
ALTER TABLE households ADD COLUMN card_token_cipher bytea;

WITH numbered AS (
  SELECT tenant_id, id, village_code,
         row_number() OVER (PARTITION BY tenant_id, village_code ORDER BY created_at, id) AS seq
    FROM households
)
UPDATE households h SET no = n.village_code || '-' || lpad(n.seq::text, 4, '0')
  FROM numbered n WHERE h.tenant_id = n.tenant_id AND h.id = n.id;

INSERT INTO household_counters (tenant_id, village_code, last_seq)
SELECT tenant_id, village_code, count(*) FROM households GROUP BY tenant_id, village_code;

ALTER TABLE households ALTER COLUMN no SET NOT NULL;
ALTER TABLE households ADD CONSTRAINT households_no_key UNIQUE (tenant_id, no);
CREATE UNIQUE INDEX households_card_token_idx ON households (card_token_hash) WHERE card_token_hash IS NOT NULL;

-- migrate:down
DROP INDEX households_card_token_idx;
ALTER TABLE households DROP CONSTRAINT households_no_key;
ALTER TABLE households DROP COLUMN card_token_cipher;
ALTER TABLE households DROP COLUMN card_token_hash;
ALTER TABLE households DROP COLUMN no;
DROP TABLE household_counters;
