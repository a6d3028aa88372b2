-- Referential integrity of records and their history checked once per statement.
--
-- A CSV import writes 2,000 records and 4,000 history rows per statement. Their
-- foreign keys fired one probe and one FOR KEY SHARE row lock per row and key:
-- EXPLAIN ANALYZE of 2,000 records, 60 ms of which 40 ms in the five foreign-key
-- triggers; of 4,000 history rows, 42 ms of which 23 ms. Statement-level
-- triggers check the same with one set-based query over the transition table.
-- What the row locks guarded against, deleting a referenced row, is refused
-- outright: records and their history are never deleted (a record is voided),
-- a rule set that has left draft cannot be deleted (rule_sets_frozen) and only
-- such sets value records, and the journal refuses deletion already.
-- migrate:up
ALTER TABLE records DROP CONSTRAINT records_tenant_id_fkey;
ALTER TABLE records DROP CONSTRAINT records_tenant_id_region_code_fkey;
ALTER TABLE records DROP CONSTRAINT records_tenant_id_rule_set_id_fkey;
ALTER TABLE records DROP CONSTRAINT records_tenant_id_transaction_id_fkey;
ALTER TABLE records DROP CONSTRAINT records_tenant_id_reversal_transaction_id_fkey;
ALTER TABLE record_history DROP CONSTRAINT record_history_tenant_id_record_id_fkey;

CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never deleted: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records FOR EACH ROW EXECUTE FUNCTION refuse_delete();
CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON records FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();
CREATE TRIGGER record_history_no_delete BEFORE DELETE ON record_history FOR EACH ROW EXECUTE FUNCTION refuse_delete();
CREATE TRIGGER record_history_no_truncate BEFORE TRUNCATE ON record_history FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();

-- Probes are EXISTS subqueries with OFFSET 0 (one index lookup per new row,
-- never a hash of the whole referenced table), run through EXECUTE so that
-- they are planned with the tables' current sizes on every call (see
-- 1763800020000: a plan cached while records was empty probed by
-- records_list_idx and filtered, a scan of the tenant's records per row).
CREATE FUNCTION records_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  -- Tenant, region and rule set: once per distinct combination (a chunk of an import has few).
  EXECUTE 'SELECT r.id, r.tenant_id, r.region_code, r.rule_set_id,
                  NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = r.tenant_id OFFSET 0) AS no_tenant,
                  NOT EXISTS (SELECT 1 FROM regions g WHERE g.tenant_id = r.tenant_id AND g.code = r.region_code OFFSET 0) AS no_region
             FROM (SELECT DISTINCT ON (tenant_id, region_code, rule_set_id) id, tenant_id, region_code, rule_set_id FROM new_records) r
            WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = r.tenant_id OFFSET 0)
               OR NOT EXISTS (SELECT 1 FROM regions g WHERE g.tenant_id = r.tenant_id AND g.code = r.region_code OFFSET 0)
               OR NOT EXISTS (SELECT 1 FROM rule_sets s WHERE s.tenant_id = r.tenant_id AND s.id = r.rule_set_id OFFSET 0)
            LIMIT 1' INTO bad;
  IF bad.id IS NOT NULL THEN
    RAISE EXCEPTION 'record % refers to a missing %', bad.id,
      CASE WHEN bad.no_tenant THEN 'tenant ' || bad.tenant_id
           WHEN bad.no_region THEN 'region ' || bad.region_code
           ELSE 'rule set ' || bad.rule_set_id END
      USING ERRCODE = '23503';
  END IF;
  -- Its posting and its reversal: one probe per record that has them.
  EXECUTE 'SELECT r.id, r.transaction_id, r.reversal_transaction_id,
                  r.transaction_id IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM ledger_transactions x WHERE x.tenant_id = r.tenant_id AND x.id = r.transaction_id OFFSET 0) AS no_tx
             FROM new_records r
            WHERE (r.transaction_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM ledger_transactions x WHERE x.tenant_id = r.tenant_id AND x.id = r.transaction_id OFFSET 0))
               OR (r.reversal_transaction_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM ledger_transactions x WHERE x.tenant_id = r.tenant_id AND x.id = r.reversal_transaction_id OFFSET 0))
            LIMIT 1' INTO bad;
  IF bad.id IS NOT NULL THEN
    RAISE EXCEPTION 'record % refers to a missing ledger transaction %', bad.id,
      CASE WHEN bad.no_tx THEN bad.transaction_id ELSE bad.reversal_transaction_id END
      USING ERRCODE = '23503';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER records_references_on_insert AFTER INSERT ON records
  REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION records_references_exist();
CREATE TRIGGER records_references_on_update AFTER UPDATE ON records
  REFERENCING NEW TABLE AS new_records FOR EACH STATEMENT EXECUTE FUNCTION records_references_exist();

CREATE FUNCTION record_history_record_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  EXECUTE 'SELECT h.record_id
             FROM (SELECT DISTINCT tenant_id, record_id FROM new_history) h
            WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.tenant_id = h.tenant_id AND r.id = h.record_id OFFSET 0)
            LIMIT 1' INTO bad;
  IF bad.record_id IS NOT NULL THEN
    RAISE EXCEPTION 'history of record %, which does not exist', bad.record_id USING ERRCODE = '23503';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER record_history_record_on_insert AFTER INSERT ON record_history
  REFERENCING NEW TABLE AS new_history FOR EACH STATEMENT EXECUTE FUNCTION record_history_record_exists();

-- migrate:down
DROP TRIGGER record_history_record_on_insert ON record_history;
DROP FUNCTION record_history_record_exists();
DROP TRIGGER records_references_on_update ON records;
DROP TRIGGER records_references_on_insert ON records;
DROP FUNCTION records_references_exist();
DROP TRIGGER record_history_no_truncate ON record_history;
DROP TRIGGER record_history_no_delete ON record_history;
DROP TRIGGER records_no_truncate ON records;
DROP TRIGGER records_no_delete ON records;
DROP FUNCTION refuse_delete();
ALTER TABLE record_history ADD CONSTRAINT record_history_tenant_id_record_id_fkey
  FOREIGN KEY (tenant_id, record_id) REFERENCES records (tenant_id, id);
ALTER TABLE records ADD CONSTRAINT records_tenant_id_reversal_transaction_id_fkey
  FOREIGN KEY (tenant_id, reversal_transaction_id) REFERENCES ledger_transactions (tenant_id, id);
ALTER TABLE records ADD CONSTRAINT records_tenant_id_transaction_id_fkey
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES ledger_transactions (tenant_id, id);
ALTER TABLE records ADD CONSTRAINT records_tenant_id_rule_set_id_fkey
  FOREIGN KEY (tenant_id, rule_set_id) REFERENCES rule_sets (tenant_id, id);
ALTER TABLE records ADD CONSTRAINT records_tenant_id_region_code_fkey
  FOREIGN KEY (tenant_id, region_code) REFERENCES regions (tenant_id, code);
ALTER TABLE records ADD CONSTRAINT records_tenant_id_fkey
  FOREIGN KEY (tenant_id) REFERENCES tenants (id);
