-- Service orders (点单 → 派单 → 接单 → 送单 → 评单): teams, the service menu, orders and
-- their history. Service records now carry their own time window and title, and come
-- either from an activity or from an order.
-- migrate:up
CREATE TABLE teams (
  tenant_id   uuid         NOT NULL REFERENCES tenants (id),
  id          uuid         NOT NULL,
  name        varchar(100) NOT NULL,
  region_code varchar(12)  NOT NULL,
  created_by  varchar(100) NOT NULL,
  created_at  timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code)
);
CREATE INDEX teams_region_idx ON teams (tenant_id, region_code);

CREATE TABLE team_members (
  tenant_id uuid NOT NULL,
  team_id   uuid NOT NULL,
  person_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, team_id, person_id),
  FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id)
);

CREATE TABLE service_menu (
  tenant_id   uuid         NOT NULL REFERENCES tenants (id),
  region_code varchar(12)  NOT NULL,
  code        varchar(16)  NOT NULL,
  title       varchar(100) NOT NULL,
  category    varchar(50)  NOT NULL,
  created_at  timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, region_code, code),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code)
);

-- Per region, inherited down the tree; absent: 4 stars, 48 hours.
CREATE TABLE service_settings (
  tenant_id        uuid        NOT NULL REFERENCES tenants (id),
  region_code      varchar(12) NOT NULL,
  rating_threshold smallint    NOT NULL CHECK (rating_threshold BETWEEN 1 AND 5),
  response_hours   integer     NOT NULL CHECK (response_hours > 0),
  PRIMARY KEY (tenant_id, region_code),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code)
);

CREATE TABLE service_orders (
  tenant_id      uuid         NOT NULL REFERENCES tenants (id),
  id             uuid         NOT NULL,
  menu_code      varchar(16)  NOT NULL,
  title          varchar(100) NOT NULL,
  requester_type varchar(16)  NOT NULL CHECK (requester_type IN ('household', 'person')),
  requester_id   uuid         NOT NULL,
  region_code    varchar(12)  NOT NULL,
  note           varchar(500),
  wanted_by      timestamptz,
  status         varchar(10)  NOT NULL CHECK (status IN ('requested', 'dispatched', 'accepted', 'delivered', 'closed', 'cancelled')),
  team_id        uuid,
  overdue        boolean      NOT NULL DEFAULT false,
  escalated_to   varchar(12),
  stars          smallint     CHECK (stars BETWEEN 1 AND 5),
  comment        varchar(500),
  requested_at   timestamptz  NOT NULL DEFAULT now(),
  dispatched_at  timestamptz,
  accepted_at    timestamptz,
  delivered_at   timestamptz,
  closed_at      timestamptz,
  created_by     varchar(100) NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code),
  FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id)
);
CREATE INDEX service_orders_region_idx ON service_orders (tenant_id, region_code, requested_at);
CREATE INDEX service_orders_waiting_idx ON service_orders (dispatched_at) WHERE status IN ('requested', 'dispatched');

CREATE TABLE service_order_history (
  tenant_id   uuid         NOT NULL,
  id          bigserial,
  order_id    uuid         NOT NULL,
  from_status varchar(10),
  to_status   varchar(10)  NOT NULL,
  actor       varchar(100) NOT NULL,
  reason      varchar(500),
  at          timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES service_orders (tenant_id, id)
);
CREATE INDEX service_order_history_order_idx ON service_order_history (tenant_id, order_id, id);

ALTER TABLE service_records ALTER COLUMN activity_id DROP NOT NULL;
ALTER TABLE service_records
  ADD COLUMN order_id    uuid,
  ADD COLUMN starts_at   timestamptz,
  ADD COLUMN ends_at     timestamptz,
  ADD COLUMN title       varchar(200),
  ADD COLUMN review_note varchar(500);
UPDATE service_records s SET starts_at = a.starts_at, ends_at = a.ends_at, title = a.title
  FROM activities a WHERE a.tenant_id = s.tenant_id AND a.id = s.activity_id;
ALTER TABLE service_records
  ALTER COLUMN starts_at SET NOT NULL,
  ALTER COLUMN ends_at SET NOT NULL,
  ALTER COLUMN title SET NOT NULL,
  ADD CONSTRAINT service_records_one_source CHECK ((activity_id IS NULL) <> (order_id IS NULL)),
  ADD CONSTRAINT service_records_window CHECK (ends_at > starts_at),
  ADD CONSTRAINT service_records_order_fkey FOREIGN KEY (tenant_id, order_id) REFERENCES service_orders (tenant_id, id),
  ADD CONSTRAINT service_records_order_person_key UNIQUE (tenant_id, order_id, person_id);
CREATE INDEX service_records_person_window_idx ON service_records (tenant_id, person_id, starts_at);

-- migrate:down
DROP INDEX service_records_person_window_idx;
ALTER TABLE service_records
  DROP CONSTRAINT service_records_order_person_key,
  DROP CONSTRAINT service_records_order_fkey,
  DROP CONSTRAINT service_records_window,
  DROP CONSTRAINT service_records_one_source;
DELETE FROM service_records WHERE order_id IS NOT NULL;
ALTER TABLE service_records DROP COLUMN review_note, DROP COLUMN title, DROP COLUMN ends_at, DROP COLUMN starts_at, DROP COLUMN order_id;
ALTER TABLE service_records ALTER COLUMN activity_id SET NOT NULL;
DROP TABLE service_order_history;
DROP TABLE service_orders;
DROP TABLE service_settings;
DROP TABLE service_menu;
DROP TABLE team_members;
DROP TABLE teams;
