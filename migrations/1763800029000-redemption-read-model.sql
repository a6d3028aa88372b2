-- Redemption's read model for the funds module (issue 17): what the shops
-- drawing on a fund pay per point, and the redemptions not yet settled, so that
-- funds (coverage) never names shops or redemptions.
-- migrate:up
CREATE VIEW shop_asset_rates AS
SELECT s.tenant_id, s.id AS shop_id, s.fund_id, s.region_code, r.key AS asset_code, r.value::numeric AS rate
  FROM shops s CROSS JOIN LATERAL jsonb_each_text(s.rates) AS r
 WHERE s.accepted_assets ? r.key;

CREATE VIEW unsettled_redemptions AS
SELECT d.tenant_id, s.fund_id, d.shop_id, d.id AS redemption_id, d.asset_code, d.amount, d.rate
  FROM redemptions d JOIN shops s ON s.tenant_id = d.tenant_id AND s.id = d.shop_id
 WHERE d.status = 'completed' AND d.settlement_id IS NULL;

-- migrate:down
DROP VIEW unsettled_redemptions;
DROP VIEW shop_asset_rates;
