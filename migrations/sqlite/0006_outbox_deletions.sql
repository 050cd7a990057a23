-- The outbox's states gain `deleting` and `deleted` (see the PostgreSQL migration of the same
-- name). SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE outbox_new (
    finish_position    INTEGER PRIMARY KEY,
    item_id            TEXT    NOT NULL,
    status             TEXT    NOT NULL
        CHECK (status IN ('pending', 'posting', 'posted', 'failed', 'skipped', 'dry_run',
                          'deleting', 'deleted')),
    due_at_ms          BIGINT      NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    text               TEXT,
    tweet_id           TEXT,
    reason             TEXT,
    posting_started_ms BIGINT,
    updated_ms         BIGINT      NOT NULL
);
INSERT INTO outbox_new SELECT finish_position, item_id, status, due_at_ms, attempts, text,
    tweet_id, reason, posting_started_ms, updated_ms FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (due_at_ms) WHERE status = 'pending';
CREATE INDEX outbox_deleting ON outbox (finish_position) WHERE status = 'deleting';
