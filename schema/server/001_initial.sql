-- Server store, version 1: enrolment, the append-only change log with its
-- server sequence and chain hash, and the introductions relayed to each site.
-- The server holds ciphertexts but never a key that opens them; ids, clocks
-- and the statistical values are in clear (DESIGN.md "The server's log").

-- The store's own entries: the format marker, its creation time and its
-- secrets (Ed25519 signing key for checkpoints, the token MAC secret), as
-- base64. The file is readable by the server's user only (mode 0600).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Replicas enrolled by an administrator. A revoked replica keeps its row:
-- its past changes stay in the log and must still verify.
CREATE TABLE replicas (
    id          TEXT PRIMARY KEY,
    site        TEXT    NOT NULL,
    public_key  BLOB    NOT NULL CHECK (length(public_key) = 32),
    enrolled_at INTEGER NOT NULL,
    revoked_at  INTEGER
) WITHOUT ROWID;
CREATE INDEX replicas_by_site ON replicas(site);

-- Coordinators and auditors. Either key (challenge-response) or password
-- (Argon2id string from crypto_pwhash_str), or both.
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT    NOT NULL CHECK (role IN ('coordinator', 'auditor')),
    public_key    BLOB    CHECK (public_key IS NULL OR length(public_key) = 32),
    password_hash TEXT,
    created_at    INTEGER NOT NULL,
    CHECK (public_key IS NOT NULL OR password_hash IS NOT NULL)
) WITHOUT ROWID;

-- The log. `server_seq` is 1, 2, 3, ... without gaps (assigned as max + 1
-- inside the writer's transaction, so a rolled-back batch leaves no hole);
-- chain[n] = BLAKE2b-256(chain[n-1] || hash[n]) with chain[0] = 32 zero bytes.
-- `envelope` is the change's JSON with its ciphertexts, served to pulls as it
-- is. The clear columns beside it let the audit (issue 4) find erased records
-- and purge their ciphertexts by rewriting `envelope` only, and the
-- statistics (issue 5) read the clear fields without parsing every envelope:
--   erases       1 when the change carries `_erased`
CREATE TABLE log (
    server_seq  INTEGER PRIMARY KEY,
    origin      TEXT    NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    site        TEXT    NOT NULL,
    record      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    erases      INTEGER NOT NULL DEFAULT 0,
    hlc         INTEGER NOT NULL,
    hash        BLOB    NOT NULL CHECK (length(hash) = 32),
    chain       BLOB    NOT NULL CHECK (length(chain) = 32),
    envelope    TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (origin, seq)
);
CREATE INDEX log_by_site ON log(site, server_seq);
CREATE INDEX log_by_record ON log(record);
CREATE INDEX log_erasures ON log(site, record) WHERE erases = 1;

-- The case each record of a site belongs to (the record itself for a case),
-- learnt from the change that creates the record with its clear `case` link.
-- Later edits do not repeat the link, and may arrive before the creating
-- change of another replica: so it is kept per record, not per change.
CREATE TABLE records (
    site     TEXT NOT NULL,
    record   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    case_id  TEXT NOT NULL,
    PRIMARY KEY (site, record)
) WITHOUT ROWID;
CREATE INDEX records_by_case ON records(site, case_id);

-- History is never rewritten: only the envelope may change (a purge removes
-- ciphertexts, which no hash covers), and no row may go.
CREATE TRIGGER log_no_delete BEFORE DELETE ON log
BEGIN
    SELECT RAISE(ABORT, 'the change log is append-only');
END;
CREATE TRIGGER log_no_rewrite
BEFORE UPDATE OF server_seq, origin, seq, site, record, kind, erases, hlc, hash, chain, received_at ON log
BEGIN
    SELECT RAISE(ABORT, 'the change log is append-only; only ciphertexts may be purged');
END;

-- The latest introduction each replica pushed (opaque JSON MAC'd with its
-- site key, which the server cannot check), relayed in its site's pulls.
CREATE TABLE introductions (
    replica     TEXT PRIMARY KEY,
    site        TEXT    NOT NULL,
    json        TEXT    NOT NULL,
    received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX introductions_by_site ON introductions(site);
