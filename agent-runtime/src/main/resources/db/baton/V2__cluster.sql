-- Nodes, their leases and run ownership, for several servers on one PostgreSQL journal.
-- Same text on H2 (a single node).
CREATE SEQUENCE baton_node_epochs START WITH 1;
CREATE TABLE baton_nodes (
  epoch BIGINT NOT NULL PRIMARY KEY,          -- from baton_node_epochs: grows at every start and rejoin
  node_id VARCHAR(255) NOT NULL,
  address VARCHAR(255),                       -- host:port of its cluster member
  started_at_ms BIGINT NOT NULL,
  lease_until_ms BIGINT NOT NULL,             -- database clock, epoch millis
  state VARCHAR(20) NOT NULL                  -- ALIVE, LEFT (stopped cleanly), DEAD (lease lapsed)
);
ALTER TABLE baton_runs ADD COLUMN owner_epoch BIGINT;   -- the epoch of the node that owns the run; null = nobody (legacy)
CREATE INDEX baton_runs_owner ON baton_runs (owner_epoch);
