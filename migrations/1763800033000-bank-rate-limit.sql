-- A bank key's rate limit, shared by every instance of the service (issue 18):
-- a token bucket per key, taken in one statement. Unlogged: after a crash the
-- buckets start full again, which costs nothing a bank could abuse, and taking
-- a token writes no WAL. Tokens are a count of requests, not an amount.
-- migrate:up
CREATE UNLOGGED TABLE bank_rate_buckets (
  key_id uuid             PRIMARY KEY,
  tokens double precision NOT NULL,
  at     timestamptz      NOT NULL
);

-- migrate:down
DROP TABLE bank_rate_buckets;
