-- Replica schema, version 1: the change log, the merge state and the keys.
-- Ids, clocks and statistical values are in clear; every confidential value
-- is stored only as ciphertext (DESIGN.md "At rest on the client").

-- Identity of this replica and its keys, sealed under the passphrase.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Replicas of this site whose signatures we accept, each introduced by a
-- holder of the site key (a MAC under a subkey of the site key).
CREATE TABLE peers (
    replica    TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    intro_mac  BLOB NOT NULL
) WITHOUT ROWID;

-- Every change applied here, ours and foreign, without ciphertexts.
-- `body` is the envelope as JSON (with `sig`, without `ct`).
CREATE TABLE changes (
    origin  TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    hash    BLOB    NOT NULL,
    record  TEXT    NOT NULL,
    hlc     INTEGER NOT NULL,
    body    TEXT    NOT NULL,
    arrival INTEGER NOT NULL,
    PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE INDEX changes_by_record ON changes(record);
CREATE UNIQUE INDEX changes_by_arrival ON changes(arrival);

-- Ciphertexts, apart from the envelopes so that erasure can delete them
-- while the signed envelopes (which cover only their hashes) stay.
CREATE TABLE ciphertexts (
    origin TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    field  TEXT    NOT NULL,
    ct     BLOB    NOT NULL,
    PRIMARY KEY (origin, seq, field)
) WITHOUT ROWID;

-- Verified changes that wait for their origin's previous change (a gap);
-- applied as soon as the gap closes. `body` includes the ciphertexts.
CREATE TABLE pending (
    origin TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    hash   BLOB    NOT NULL,
    body   TEXT    NOT NULL,
    PRIMARY KEY (origin, seq)
) WITHOUT ROWID;

-- One row per record known here. `case_id` is the case a consent, goal,
-- referral or contact belongs to; `erased` is set once `_erased` arrives.
CREATE TABLE records (
    record  TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    case_id TEXT,
    erased  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX records_by_case ON records(case_id);

-- Every operation on a (record, field); `is_head` marks those that no other
-- known operation on the same (record, field) names as a parent.
CREATE TABLE field_ops (
    record    TEXT    NOT NULL,
    field     TEXT    NOT NULL,
    change_id TEXT    NOT NULL,
    origin    TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    hlc       INTEGER NOT NULL,
    value     TEXT,
    ct_hash   BLOB,
    is_head   INTEGER NOT NULL,
    PRIMARY KEY (record, field, change_id)
) WITHOUT ROWID;
CREATE INDEX field_ops_heads ON field_ops(is_head, record, field);

-- The parents named by operations on a (record, field): an operation listed
-- here is superseded whether it arrived before or after its successor.
CREATE TABLE field_parents (
    record TEXT NOT NULL,
    field  TEXT NOT NULL,
    parent TEXT NOT NULL,
    PRIMARY KEY (record, field, parent)
) WITHOUT ROWID;
