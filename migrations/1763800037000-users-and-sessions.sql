-- People sign in as users (issue 19); API keys stay for machines. A user has a
-- name, a phone number (one user per number across the platform: found by a
-- keyed hash, stored encrypted, shown masked), one role and a scope, like a
-- key. Passwords are scrypt hashes (N=2^17, r=8, p=1). Sessions are stored as
-- the SHA-256 of their token; they lapse after 12 hours without use and end
-- on sign-out, on a password reset and when the user is disabled.
-- Failed sign-ins are counted per phone lookup (known or not, alike) for the
-- 5-in-15-minutes lockout.
-- migrate:up
CREATE TABLE users (
  tenant_id            uuid         NOT NULL REFERENCES tenants (id),
  id                   uuid         NOT NULL,
  name                 varchar(50)  NOT NULL,
  phone_lookup         bytea        NOT NULL,
  phone_cipher         bytea        NOT NULL,
  phone_masked         varchar(20)  NOT NULL,
  role                 varchar(20)  NOT NULL CHECK (role IN ('admin', 'clerk', 'reviewer', 'organizer', 'shopkeeper', 'auditor')),
  scope_region_code    varchar(12)  NOT NULL,
  shop_id              uuid,
  password_hash        varchar(200) NOT NULL,
  must_change_password boolean      NOT NULL DEFAULT true,
  disabled_at          timestamptz,
  last_sign_in_at      timestamptz,
  created_at           timestamptz  NOT NULL DEFAULT now(),
  created_by           varchar(60)  NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  UNIQUE (phone_lookup),
  FOREIGN KEY (tenant_id, scope_region_code) REFERENCES regions (tenant_id, code),
  CHECK ((role = 'shopkeeper') = (shop_id IS NOT NULL))
);

CREATE TABLE user_sessions (
  id           uuid         PRIMARY KEY,
  tenant_id    uuid         NOT NULL,
  user_id      uuid         NOT NULL REFERENCES users (id),
  token_hash   bytea        NOT NULL UNIQUE,
  created_at   timestamptz  NOT NULL DEFAULT now(),
  last_used_at timestamptz  NOT NULL DEFAULT now(),
  ended_at     timestamptz
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE sign_in_failures (
  phone_lookup bytea        NOT NULL,
  at           timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_idx ON sign_in_failures (phone_lookup, at);

-- migrate:down
DROP TABLE sign_in_failures;
DROP TABLE user_sessions;
DROP TABLE users;
