-- Replica, version 2: the places (record, field) with more than one head,
-- kept by triggers as field_ops changes, so that `kim sync` and `kim status`
-- count the open conflicts without reading every head of the replica
-- (docs/performance.md). A place is added when a second head arrives and
-- removed when a write names all but one of its heads as parents.
CREATE TABLE conflicted (
    record TEXT NOT NULL,
    field  TEXT NOT NULL,
    PRIMARY KEY (record, field)
) WITHOUT ROWID;

INSERT INTO conflicted(record, field)
    SELECT record, field FROM field_ops WHERE is_head = 1 GROUP BY record, field HAVING COUNT(*) > 1;

CREATE TRIGGER conflicted_on_new_head AFTER INSERT ON field_ops WHEN NEW.is_head = 1
BEGIN
    INSERT OR IGNORE INTO conflicted(record, field)
        SELECT NEW.record, NEW.field
        WHERE (SELECT COUNT(*) FROM field_ops WHERE is_head = 1 AND record = NEW.record AND field = NEW.field) > 1;
END;

CREATE TRIGGER conflicted_on_demoted_head AFTER UPDATE OF is_head ON field_ops WHEN OLD.is_head = 1 AND NEW.is_head = 0
BEGIN
    DELETE FROM conflicted
        WHERE record = NEW.record AND field = NEW.field
          AND (SELECT COUNT(*) FROM field_ops WHERE is_head = 1 AND record = NEW.record AND field = NEW.field) < 2;
END;
