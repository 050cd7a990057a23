-- The notifier's durable state (see the PostgreSQL migration of the same name).

CREATE TABLE notifier_checkpoint (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    position  INTEGER NOT NULL
);

CREATE TABLE outbox (
    finish_position    INTEGER PRIMARY KEY,
    item_id            TEXT    NOT NULL,
    status             TEXT    NOT NULL
        CHECK (status IN ('pending', 'posting', 'posted', 'failed', 'skipped', 'dry_run')),
    due_at_ms          BIGINT      NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    text               TEXT,
    tweet_id           TEXT,
    reason             TEXT,
    posting_started_ms BIGINT,
    updated_ms         BIGINT      NOT NULL
);

CREATE INDEX outbox_pending ON outbox (due_at_ms) WHERE status = 'pending';
