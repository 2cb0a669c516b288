-- Server store, version 3: the statistics index (DESIGN.md "Merge" and
-- "Coordinators' figures", docs/protocol.md "Statistics"). For every record
-- it keeps the current value of each statistical field as the merge rules
-- give it, so that GET /v1/stats counts without parsing envelopes. Only
-- clear values are kept (never a ciphertext), all as text; the `case` link,
-- `_key` and `_erased` are not in it (records and log hold those).
-- Written in the push transaction with the log (server/src/store/stats_index.cpp),
-- so it is always as current as the log; a store made before this step is
-- caught up from its log when it is opened.

-- The heads of each (site, record, field): the statistical ops that no other
-- stored op on the same (record, field) names as a parent. An op that is
-- superseded never becomes a head again, so its row is deleted.
CREATE TABLE stat_heads (
    site   TEXT    NOT NULL,
    record TEXT    NOT NULL,
    field  TEXT    NOT NULL,
    origin TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    hlc    INTEGER NOT NULL,
    value  TEXT    NOT NULL,
    -- In merge order within a (record, field): the shown head is the last
    -- one, read without sorting. A parent is found by its (origin, seq)
    -- among the few heads of its (record, field).
    PRIMARY KEY (site, record, field, hlc, origin, seq)
) WITHOUT ROWID;

-- Parents named by an op before the change they name was stored (changes
-- travel by file too, so a child may arrive first). When the named change
-- arrives, its op on that (record, field) is born superseded, and the row
-- goes: it is needed only once, since a change is stored only once.
CREATE TABLE stat_early_parents (
    site   TEXT NOT NULL,
    record TEXT NOT NULL,
    field  TEXT NOT NULL,
    parent TEXT NOT NULL,  -- change id "origin:seq"
    PRIMARY KEY (site, record, field, parent)
) WITHOUT ROWID;

-- The value shown for each (site, record, field): the head with the greatest
-- (hlc, origin). No row when the field was never written (or, for a cycle of
-- parents only a forger could make, when no head is left).
CREATE TABLE stat_values (
    site   TEXT NOT NULL,
    record TEXT NOT NULL,
    field  TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (site, record, field)
) WITHOUT ROWID;

-- The last server_seq whose change is in the index. The push transaction
-- moves it with every append; at open, the changes after it are replayed
-- from the log (for this step: the whole log of an older store).
CREATE TABLE stat_index (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL CHECK (indexed_through >= 0)
);
INSERT INTO stat_index(id, indexed_through) VALUES (1, 0);

-- The statistics count the records of one kind: this lets them read only
-- those (with the case each belongs to, for the erasure check) instead of
-- every record of every kind.
CREATE INDEX records_by_kind ON records(kind, case_id);
