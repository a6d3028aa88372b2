-- Funds, shops and their items, redemptions, PIN guards, settlements.
-- migrate:up
CREATE TABLE funds (
  tenant_id            uuid         NOT NULL REFERENCES tenants (id),
  id                   uuid         NOT NULL,
  name                 varchar(100) NOT NULL,
  region_code          varchar(12)  NOT NULL,
  -- XIAOSHAN points per CNY donated on a household's behalf; null: donations earn no points.
  conversion_rate      numeric      CHECK (conversion_rate > 0),
  -- Coverage below this ratio raises the alert (response and metrics).
  coverage_alert_below numeric      NOT NULL DEFAULT 1 CHECK (coverage_alert_below >= 0),
  created_by           varchar(100) NOT NULL,
  created_at           timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code)
);

CREATE TABLE donations (
  tenant_id      uuid         NOT NULL REFERENCES tenants (id),
  id             uuid         NOT NULL,
  fund_id        uuid         NOT NULL,
  donor          varchar(100) NOT NULL,
  amount         numeric      NOT NULL CHECK (amount > 0),
  household_id   uuid,
  points         numeric      CHECK (points >= 0),
  transaction_id uuid         NOT NULL,
  created_by     varchar(100) NOT NULL,
  created_at     timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, fund_id) REFERENCES funds (tenant_id, id),
  FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id)
);
CREATE INDEX donations_fund_idx ON donations (tenant_id, fund_id, created_at);

CREATE TABLE shops (
  tenant_id       uuid         NOT NULL REFERENCES tenants (id),
  id              uuid         NOT NULL,
  name            varchar(100) NOT NULL,
  region_code     varchar(12)  NOT NULL,
  fund_id         uuid         NOT NULL,
  accepted_assets jsonb        NOT NULL,   -- ["CONDUCT", "YIBI"]
  rates           jsonb        NOT NULL,   -- {"CONDUCT": "0.5"}: CNY per point
  created_by      varchar(100) NOT NULL,
  created_at      timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code),
  FOREIGN KEY (tenant_id, fund_id) REFERENCES funds (tenant_id, id)
);
CREATE INDEX shops_fund_idx ON shops (tenant_id, fund_id);

CREATE TABLE shop_items (
  tenant_id  uuid         NOT NULL REFERENCES tenants (id),
  shop_id    uuid         NOT NULL,
  sku        varchar(40)  NOT NULL,
  name       varchar(100) NOT NULL,
  asset_code varchar(16)  NOT NULL,
  price      numeric      NOT NULL CHECK (price > 0),
  stock      integer      NOT NULL CHECK (stock >= 0),
  created_at timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, shop_id, sku),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);

CREATE TABLE settlements (
  tenant_id           uuid         NOT NULL REFERENCES tenants (id),
  id                  uuid         NOT NULL,
  shop_id             uuid         NOT NULL,
  fund_id             uuid         NOT NULL,
  through             date         NOT NULL,
  redemptions         integer      NOT NULL CHECK (redemptions > 0),
  points              numeric      NOT NULL,
  amount_cny          numeric      NOT NULL CHECK (amount_cny >= 0),
  transaction_id      uuid         NOT NULL,
  status              varchar(8)   NOT NULL CHECK (status IN ('issued', 'paid')),
  paid_at             timestamptz,
  paid_reference      varchar(200),
  paid_transaction_id uuid,
  created_by          varchar(100) NOT NULL,
  created_at          timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  FOREIGN KEY (tenant_id, paid_transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  CHECK ((status = 'paid') = (paid_at IS NOT NULL))
);
CREATE INDEX settlements_shop_idx ON settlements (tenant_id, shop_id, created_at);

CREATE TABLE redemptions (
  tenant_id             uuid         NOT NULL REFERENCES tenants (id),
  id                    uuid         NOT NULL,
  shop_id               uuid         NOT NULL,
  holder_type           varchar(16)  NOT NULL CHECK (holder_type IN ('household', 'person')),
  holder_id             uuid         NOT NULL,
  region_code           varchar(12)  NOT NULL,
  asset_code            varchar(16)  NOT NULL,
  amount                numeric      NOT NULL CHECK (amount > 0),
  -- CNY per point agreed when the points were spent; settlement pays at this rate.
  rate                  numeric      NOT NULL CHECK (rate >= 0),
  status                varchar(10)  NOT NULL CHECK (status IN ('held', 'completed', 'cancelled', 'expired', 'refunded')),
  hold_id               uuid,
  expires_at            timestamptz,
  transaction_id        uuid,
  refund_transaction_id uuid,
  settlement_id         uuid,
  created_by            varchar(100) NOT NULL,
  created_at            timestamptz  NOT NULL DEFAULT now(),
  completed_at          timestamptz,
  updated_at            timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  FOREIGN KEY (tenant_id, refund_transaction_id) REFERENCES ledger_transactions (tenant_id, id),
  FOREIGN KEY (tenant_id, settlement_id) REFERENCES settlements (tenant_id, id),
  CHECK ((status IN ('completed', 'refunded')) = (transaction_id IS NOT NULL)),
  CHECK ((status = 'refunded') = (refund_transaction_id IS NOT NULL)),
  CHECK (settlement_id IS NULL OR status = 'completed')
);
-- Settlement: a shop's completed, unsettled redemptions in date order.
CREATE INDEX redemptions_unsettled_idx ON redemptions (tenant_id, shop_id, completed_at) WHERE status = 'completed' AND settlement_id IS NULL;
CREATE INDEX redemptions_held_idx ON redemptions (expires_at) WHERE status = 'held';
CREATE INDEX redemptions_shop_idx ON redemptions (tenant_id, shop_id, created_at);
CREATE INDEX redemptions_settlement_idx ON redemptions (tenant_id, settlement_id) WHERE settlement_id IS NOT NULL;

CREATE TABLE redemption_lines (
  tenant_id     uuid         NOT NULL REFERENCES tenants (id),
  redemption_id uuid         NOT NULL,
  sku           varchar(40)  NOT NULL,
  name          varchar(100) NOT NULL,
  quantity      integer      NOT NULL CHECK (quantity > 0),
  unit_price    numeric      NOT NULL,
  amount        numeric      NOT NULL,
  PRIMARY KEY (tenant_id, redemption_id, sku),
  FOREIGN KEY (tenant_id, redemption_id) REFERENCES redemptions (tenant_id, id)
);

-- Wrong PINs per holder; five in a row lock redemptions for 15 minutes.
CREATE TABLE pin_guards (
  tenant_id    uuid        NOT NULL REFERENCES tenants (id),
  holder_type  varchar(16) NOT NULL,
  holder_id    uuid        NOT NULL,
  failures     integer     NOT NULL DEFAULT 0,
  locked_until timestamptz,
  PRIMARY KEY (tenant_id, holder_type, holder_id)
);
-- Every lock, kept.
CREATE TABLE pin_lockouts (
  tenant_id    uuid         NOT NULL REFERENCES tenants (id),
  id           bigserial,
  holder_type  varchar(16)  NOT NULL,
  holder_id    uuid         NOT NULL,
  shop_id      uuid,
  actor        varchar(100) NOT NULL,
  locked_at    timestamptz  NOT NULL DEFAULT now(),
  locked_until timestamptz  NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

-- migrate:down
DROP TABLE pin_lockouts;
DROP TABLE pin_guards;
DROP TABLE redemption_lines;
DROP TABLE redemptions;
DROP TABLE settlements;
DROP TABLE shop_items;
DROP TABLE shops;
DROP TABLE donations;
DROP TABLE funds;
