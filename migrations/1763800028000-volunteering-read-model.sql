-- Volunteering's read model for service orders' reports (issue 17): hours and 益币
-- per order, so that the orders module never names service_records.
-- migrate:up
CREATE VIEW service_hours_by_order AS
SELECT tenant_id, order_id, sum(hours) AS hours, sum(credited) AS credited
  FROM service_records
 WHERE order_id IS NOT NULL
 GROUP BY tenant_id, order_id;

-- migrate:down
DROP VIEW service_hours_by_order;
