-- Triggers on several nodes: every change of a trigger's definition (create, pause, resume, delete)
-- increases this one counter, so that each node's scheduler reloads the definitions only when they changed.
CREATE TABLE baton_trigger_changes (id INT NOT NULL PRIMARY KEY, seq BIGINT NOT NULL);
INSERT INTO baton_trigger_changes (id, seq) VALUES (0, 0);
