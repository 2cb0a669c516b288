-- Server store, version 2: the server's signed checkpoints of its log
-- (DESIGN.md "The server's log and the audit", docs/protocol.md "Audit").
-- Each row says "the log held `server_seq` changes and chain[server_seq] was
-- `chain`, at `time`", signed with the server's Ed25519 key over
-- checkpoint_message() (kim/shared/checkpoint.hpp). The server signs one in
-- the push transaction whenever server_seq reaches a multiple of N
-- (`serve --checkpoint-every N`), and one on an auditor's request.

CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY,
    -- One checkpoint per position: the log only grows, and a request at a
    -- position already signed answers the stored one.
    server_seq INTEGER NOT NULL UNIQUE CHECK (server_seq >= 0),
    chain      BLOB    NOT NULL CHECK (length(chain) = 32),
    time       INTEGER NOT NULL,
    sig        BLOB    NOT NULL CHECK (length(sig) = 64)
);

-- An auditor keeps the checkpoints it has seen; the server must not be able
-- to take one back quietly either (a purge never touches them).
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the checkpoints are append-only');
END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the checkpoints are append-only');
END;
