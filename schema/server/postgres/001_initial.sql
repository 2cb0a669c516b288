-- Server store on PostgreSQL, version 1: the same tables as the SQLite store
-- after its steps 1-3 (schema/server/00*.sql tell what each holds and why),
-- plus `writer_lock`, which serialises the appends of several kim-server
-- processes sharing this database. Text keys compare bytewise (COLLATE "C"),
-- as in SQLite: the merge order of heads breaks ties by origin that way on
-- every replica, so the server must too.

CREATE TABLE meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE replicas (
    id          TEXT COLLATE "C" PRIMARY KEY,
    site        TEXT COLLATE "C" NOT NULL,
    public_key  BYTEA  NOT NULL UNIQUE CHECK (length(public_key) = 32),
    enrolled_at BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX replicas_by_site ON replicas(site);

CREATE TABLE users (
    name          TEXT COLLATE "C" PRIMARY KEY,
    role          TEXT   NOT NULL CHECK (role IN ('coordinator', 'auditor')),
    public_key    BYTEA  CHECK (public_key IS NULL OR length(public_key) = 32),
    password_hash TEXT,
    created_at    BIGINT NOT NULL,
    CHECK (public_key IS NOT NULL OR password_hash IS NOT NULL)
);

-- The writer lock of the store, shared by every kim-server process using
-- this database: a push batch locks this one row (SELECT ... FOR UPDATE)
-- before it reads the tip of the log, and holds it until it commits or rolls
-- back. So batches of all servers append one after the other: server_seq
-- stays gap-free and each chain hash follows the one before. Enrolment, the
-- checkpoints signed on request and the statistics' catch-up take it too.
CREATE TABLE writer_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO writer_lock(id) VALUES (1);
CREATE FUNCTION writer_lock_stays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the writer lock row must stay: without it the servers cannot take turns';
END;
$$;
CREATE TRIGGER writer_lock_stays BEFORE DELETE OR TRUNCATE ON writer_lock
    FOR EACH STATEMENT EXECUTE FUNCTION writer_lock_stays();

CREATE TABLE log (
    server_seq  BIGINT PRIMARY KEY,
    origin      TEXT COLLATE "C" NOT NULL,
    seq         BIGINT  NOT NULL CHECK (seq >= 1),
    site        TEXT COLLATE "C" NOT NULL,
    record      TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    erases      INTEGER NOT NULL DEFAULT 0,
    hlc         BIGINT  NOT NULL,
    hash        BYTEA   NOT NULL CHECK (length(hash) = 32),
    chain       BYTEA   NOT NULL CHECK (length(chain) = 32),
    envelope    TEXT    NOT NULL,
    received_at BIGINT  NOT NULL,
    UNIQUE (origin, seq)
);
CREATE INDEX log_by_site ON log(site, server_seq);
CREATE INDEX log_by_record ON log(record);
CREATE INDEX log_erasures ON log(site, record) WHERE erases = 1;

CREATE TABLE records (
    site     TEXT COLLATE "C" NOT NULL,
    record   TEXT COLLATE "C" NOT NULL,
    kind     TEXT COLLATE "C" NOT NULL,
    case_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (site, record)
);
CREATE INDEX records_by_case ON records(site, case_id);
CREATE INDEX records_by_kind ON records(kind, case_id);

-- History is never rewritten: only the envelope may change (a purge removes
-- ciphertexts, which no hash covers), and no row may go.
CREATE FUNCTION log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the change log is append-only';
    END IF;
    IF (NEW.server_seq, NEW.origin, NEW.seq, NEW.site, NEW.record, NEW.kind, NEW.erases, NEW.hlc, NEW.hash,
        NEW.chain, NEW.received_at) IS DISTINCT FROM
       (OLD.server_seq, OLD.origin, OLD.seq, OLD.site, OLD.record, OLD.kind, OLD.erases, OLD.hlc, OLD.hash,
        OLD.chain, OLD.received_at) THEN
        RAISE EXCEPTION 'the change log is append-only; only ciphertexts may be purged';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON log
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON log
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();

CREATE TABLE introductions (
    replica     TEXT COLLATE "C" PRIMARY KEY,
    site        TEXT COLLATE "C" NOT NULL,
    json        TEXT   NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX introductions_by_site ON introductions(site);

CREATE TABLE checkpoints (
    server_seq BIGINT PRIMARY KEY CHECK (server_seq >= 0),
    chain      BYTEA  NOT NULL CHECK (length(chain) = 32),
    time       BIGINT NOT NULL,
    sig        BYTEA  NOT NULL CHECK (length(sig) = 64)
);
CREATE FUNCTION checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the checkpoints are append-only';
END;
$$;
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION checkpoints_append_only();

CREATE TABLE stat_heads (
    site   TEXT COLLATE "C" NOT NULL,
    record TEXT COLLATE "C" NOT NULL,
    field  TEXT COLLATE "C" NOT NULL,
    origin TEXT COLLATE "C" NOT NULL,
    seq    BIGINT NOT NULL,
    hlc    BIGINT NOT NULL,
    value  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (site, record, field, hlc, origin, seq)
);

CREATE TABLE stat_early_parents (
    site   TEXT COLLATE "C" NOT NULL,
    record TEXT COLLATE "C" NOT NULL,
    field  TEXT COLLATE "C" NOT NULL,
    parent TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (site, record, field, parent)
);

CREATE TABLE stat_values (
    site   TEXT COLLATE "C" NOT NULL,
    record TEXT COLLATE "C" NOT NULL,
    field  TEXT COLLATE "C" NOT NULL,
    value  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (site, record, field)
);

CREATE TABLE stat_index (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through BIGINT NOT NULL CHECK (indexed_through >= 0)
);
INSERT INTO stat_index(id, indexed_through) VALUES (1, 0);
