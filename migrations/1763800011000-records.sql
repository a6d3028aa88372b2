-- Conduct records and their workflow history.
-- migrate:up
CREATE TABLE records (
  tenant_id         uuid         NOT NULL REFERENCES tenants (id),
  id                uuid         NOT NULL,
  holder_type       varchar(16)  NOT NULL CHECK (holder_type IN ('household', 'person')),
  holder_id         uuid         NOT NULL,
  region_code       varchar(12)  NOT NULL,
  rule_set_id       uuid         NOT NULL,
  rule_set_version  integer      NOT NULL,
  rule_code         varchar(16)  NOT NULL,
  rule_name         varchar(100) NOT NULL,
  asset_code        varchar(16)  NOT NULL,
  direction         varchar(6)   NOT NULL CHECK (direction IN ('credit', 'debit')),
  quantity          numeric      NOT NULL CHECK (quantity > 0),
  points            numeric      NOT NULL CHECK (points >= 0),
  uncapped_points   numeric      NOT NULL,
  capped            boolean      NOT NULL,
  occurred_on       date         NOT NULL,
  evidence          jsonb        NOT NULL DEFAULT '[]',
  note              varchar(500),
  status            varchar(12)  NOT NULL CHECK (status IN ('submitted', 'in_notice', 'posted', 'rejected', 'objected', 'voided')),
  notice_days       integer      NOT NULL CHECK (notice_days >= 0),
  notice_ends_on    date,
  entered_by        varchar(100) NOT NULL,
  approved_by       varchar(100),
  transaction_id    uuid,
  reversal_transaction_id uuid,
  created_at        timestamptz  NOT NULL DEFAULT now(),
  updated_at        timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code),
  FOREIGN KEY (tenant_id, rule_set_id) REFERENCES rule_sets (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  FOREIGN KEY (tenant_id, reversal_transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  CHECK ((status IN ('posted', 'voided')) = (transaction_id IS NOT NULL)),
  CHECK ((status = 'voided') = (reversal_transaction_id IS NOT NULL))
);
-- Cap usage: a holder's records of one item in a date window.
CREATE INDEX records_usage_idx ON records (tenant_id, holder_type, holder_id, rule_code, occurred_on);
-- The notice job: records whose public notice has ended.
CREATE INDEX records_notice_idx ON records (notice_ends_on) WHERE status = 'in_notice';
CREATE INDEX records_list_idx ON records (tenant_id, region_code, created_at);

CREATE TABLE record_history (
  tenant_id   uuid         NOT NULL,
  id          bigint       NOT NULL GENERATED ALWAYS AS IDENTITY,
  record_id   uuid         NOT NULL,
  from_status varchar(12),
  to_status   varchar(12)  NOT NULL,
  actor       varchar(100) NOT NULL,
  reason      varchar(500),
  at          timestamptz  NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, record_id) REFERENCES records (tenant_id, id)
);
CREATE INDEX record_history_record_idx ON record_history (tenant_id, record_id, id);

-- migrate:down
DROP TABLE record_history;
DROP TABLE records;
