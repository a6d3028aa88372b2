-- Grade results: the primary key (tenant, run, household) serves every read (exports filter
-- a run by region prefix, public pages by village), so the second index only slowed the
-- 100,000-row write of a run.
-- migrate:up
DROP INDEX grade_results_region_idx;

-- migrate:down
CREATE INDEX grade_results_region_idx ON grade_results (tenant_id, run_id, region_code, household_id);
