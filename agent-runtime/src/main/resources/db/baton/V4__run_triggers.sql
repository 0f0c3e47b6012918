-- The trigger whose firing (schedule, event or "run now") started a run, so that a trigger's runs can be counted
-- by how they ended from the journal (GET /api/triggers: runs), the same on every node and after a restart.
-- NULL for runs not started by a trigger, and for runs journaled before this version: their origin is only inside
-- their RunCreated event's JSON, so they are not backfilled (a trigger's counts start with this version).
ALTER TABLE baton_runs ADD COLUMN trigger_name VARCHAR(255);
-- One trigger's runs by status: the counts are a GROUP BY (trigger_name, status) over this index.
CREATE INDEX baton_runs_trigger ON baton_runs (trigger_name, status);
