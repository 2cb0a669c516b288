-- Replica, version 3: the change log as a rowid table keyed by arrival.
-- As a WITHOUT ROWID table keyed by (origin, seq), an envelope of more than
-- about 1,000 bytes (a new case's is about 1,500) did not fit in its b-tree
-- page and took an overflow page of its own: the log was 4 KiB per change on
-- disk and was written twice (WAL and checkpoint), about half of what a pull
-- wrote (docs/performance.md). A rowid row holds up to about 4,000 bytes in
-- place, and new changes go to the end of the table. The arrival number is
-- the rowid, given by SQLite (changes are never deleted, so it only grows):
-- the counter in `meta` goes.
CREATE TABLE changes_v3 (
    arrival INTEGER PRIMARY KEY,
    origin  TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    hash    BLOB    NOT NULL,
    record  TEXT    NOT NULL,
    hlc     INTEGER NOT NULL,
    body    TEXT    NOT NULL,
    UNIQUE (origin, seq)
);
INSERT INTO changes_v3(arrival, origin, seq, hash, record, hlc, body)
    SELECT arrival, origin, seq, hash, record, hlc, body FROM changes ORDER BY arrival;
DROP TABLE changes;
ALTER TABLE changes_v3 RENAME TO changes;
CREATE INDEX changes_by_record ON changes(record);
DELETE FROM meta WHERE key = 'next_arrival';
