-- Grade results keep feature values and points as numeric arrays in the fixed order of the
-- features (xiaoshanBalance, conductNet, debitItems, volunteerHours, sanctioned,
-- yearsEnrolled; null points for a feature the scorecard does not use): cheaper to write than
-- jsonb for the 100,000 rows of a run.
-- migrate:up
ALTER TABLE grade_results
  ALTER COLUMN features TYPE numeric[] USING ARRAY[(features->>'xiaoshanBalance')::numeric, (features->>'conductNet')::numeric, (features->>'debitItems')::numeric,
                                                   (features->>'volunteerHours')::numeric, (features->>'sanctioned')::numeric, (features->>'yearsEnrolled')::numeric],
  ALTER COLUMN points TYPE numeric[] USING ARRAY[(points->>'xiaoshanBalance')::numeric, (points->>'conductNet')::numeric, (points->>'debitItems')::numeric,
                                                 (points->>'volunteerHours')::numeric, (points->>'sanctioned')::numeric, (points->>'yearsEnrolled')::numeric];

-- migrate:down
ALTER TABLE grade_results
  ALTER COLUMN features TYPE jsonb USING jsonb_build_object('xiaoshanBalance', features[1]::text, 'conductNet', features[2]::text, 'debitItems', features[3]::text,
                                                            'volunteerHours', features[4]::text, 'sanctioned', features[5]::text, 'yearsEnrolled', features[6]::text),
  ALTER COLUMN points TYPE jsonb USING jsonb_strip_nulls(jsonb_build_object('xiaoshanBalance', points[1]::text, 'conductNet', points[2]::text, 'debitItems', points[3]::text,
                                                                            'volunteerHours', points[4]::text, 'sanctioned', points[5]::text, 'yearsEnrolled', points[6]::text));
