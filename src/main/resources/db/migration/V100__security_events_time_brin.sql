-- Security events are appended in time order, so a BRIN index (one summary per range of pages)
-- finds the old ones for pruning as well as a b-tree did, and costs an insert next to nothing:
-- every sign-in writes an event, and the b-tree's entry was one of the settle statement's writes
-- (docs/performance.md, "Where the time goes").
DROP INDEX security_events_time;
CREATE INDEX security_events_time ON security_events USING brin (occurred_at);
