-- The journal's schema as Baton created it before Flyway (Schema.java up to f650b0f), for H2 and
-- PostgreSQL alike: ${large_text} is H2's CLOB or PostgreSQL's TEXT (see SqlDialect.largeText).
--
-- The statements keep their IF NOT EXISTS: a journal made by a Baton before Flyway has these tables
-- already (its baton_schema_history starts with a baseline at version 0, then runs this file), maybe
-- without the columns added later; this file brings it to version 1 with its rows kept.

-- Read by Batons before Flyway, which refuse a version above theirs (Schema.java keeps it at Flyway's).
CREATE TABLE IF NOT EXISTS baton_schema_version (version INT NOT NULL);
INSERT INTO baton_schema_version (version) SELECT 1 WHERE NOT EXISTS (SELECT version FROM baton_schema_version);

CREATE TABLE IF NOT EXISTS baton_events (
  run_id VARCHAR(255) NOT NULL, seq BIGINT NOT NULL, type VARCHAR(100) NOT NULL,
  task_id VARCHAR(255), at_ms BIGINT NOT NULL, data ${large_text} NOT NULL,
  PRIMARY KEY (run_id, seq));

CREATE TABLE IF NOT EXISTS baton_runs (
  id VARCHAR(255) NOT NULL PRIMARY KEY, goal VARCHAR, status VARCHAR(40) NOT NULL,
  created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL,
  idempotency_key VARCHAR(1000) UNIQUE, request_hash VARCHAR(255));
-- The runs list: newest first, all or of one status, paged by (created_at_ms, id).
CREATE INDEX IF NOT EXISTS baton_runs_newest ON baton_runs (created_at_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS baton_runs_status ON baton_runs (status, created_at_ms DESC, id DESC);

CREATE TABLE IF NOT EXISTS baton_approvals (
  run_id VARCHAR(255) NOT NULL, task_id VARCHAR(255) NOT NULL, title VARCHAR, tool VARCHAR(255),
  args ${large_text}, requested_at_ms BIGINT NOT NULL, expires_at_ms BIGINT,
  escalated BOOLEAN NOT NULL, status VARCHAR(40) NOT NULL, PRIMARY KEY (run_id, task_id));
CREATE INDEX IF NOT EXISTS baton_approvals_inbox ON baton_approvals (status, requested_at_ms);

-- The notification outbox: one row per rule and event, so a notification is stored once
-- however often its event is seen (live, then again by the catch-up after a restart).
CREATE TABLE IF NOT EXISTS baton_notifications (
  rule VARCHAR(255) NOT NULL, event_key VARCHAR(1000) NOT NULL, url VARCHAR(4000) NOT NULL,
  body ${large_text} NOT NULL, status VARCHAR(20) NOT NULL, attempts INT NOT NULL,
  created_at_ms BIGINT NOT NULL, next_at_ms BIGINT NOT NULL, sent_at_ms BIGINT, last_error VARCHAR(2000),
  PRIMARY KEY (rule, event_key));
CREATE INDEX IF NOT EXISTS baton_notifications_due ON baton_notifications (status, next_at_ms);

-- Triggers (dev.baton.runtime.trigger.JdbcTriggerStore): the definition as JSON, the firing state in columns.
CREATE TABLE IF NOT EXISTS baton_triggers (
  name VARCHAR(100) NOT NULL PRIMARY KEY, definition ${large_text} NOT NULL, paused BOOLEAN NOT NULL,
  next_fire_at_ms BIGINT, last_fired_at_ms BIGINT, last_run_id VARCHAR(255), created_at_ms BIGINT NOT NULL);

-- Model usage for the runs list (added to version 1 later; runs projected before get 0: their usage
-- stays in their events).
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS llm_calls BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS prompt_tokens BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE baton_runs ADD COLUMN IF NOT EXISTS completion_tokens BIGINT DEFAULT 0 NOT NULL;
-- Claimed firings not finished yet, a JSON array of ISO instants or null for none (added to version 1
-- later; triggers from before start with nothing pending).
ALTER TABLE baton_triggers ADD COLUMN IF NOT EXISTS pending VARCHAR;

-- Tickets (TicketSql, TicketProjection).
CREATE TABLE IF NOT EXISTS baton_tickets (
  id VARCHAR(255) NOT NULL PRIMARY KEY, run_id VARCHAR(255) NOT NULL, external_id VARCHAR(1000),
  subject VARCHAR, body ${large_text}, customer ${large_text}, channel VARCHAR(255),
  status VARCHAR(40) NOT NULL, category VARCHAR(255), confidence DOUBLE PRECISION, method VARCHAR(40),
  rationale VARCHAR, queue VARCHAR(255), priority VARCHAR(10), sla_due_at_ms BIGINT, review_reason VARCHAR,
  confirmed_category VARCHAR(255), delivery VARCHAR(40), error VARCHAR,
  created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, routed_at_ms BIGINT);
CREATE INDEX IF NOT EXISTS baton_tickets_run ON baton_tickets (run_id);
CREATE INDEX IF NOT EXISTS baton_tickets_newest ON baton_tickets (created_at_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS baton_tickets_status ON baton_tickets (status, created_at_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS baton_tickets_queue ON baton_tickets (queue, created_at_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS baton_tickets_confirmed ON baton_tickets (confirmed_category);
