-- The notifier's durable state: how far it has scanned the log, and one outbox entry per
-- finish it may tweet. An entry moves pending -> posting -> posted (or failed / skipped);
-- `posting` is written before the tweet is sent, so a crash in between is found on restart
-- and reconciled against the account's tweets instead of being posted twice.
-- Times are Unix milliseconds: the same, comparable representation on both backends.
CREATE TABLE notifier_checkpoint (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    position  BIGINT  NOT NULL
);

CREATE TABLE outbox (
    finish_position    BIGINT      PRIMARY KEY,
    item_id            TEXT        NOT NULL,
    status             TEXT        NOT NULL
        CHECK (status IN ('pending', 'posting', 'posted', 'failed', 'skipped', 'dry_run')),
    due_at_ms          BIGINT      NOT NULL,
    attempts           INTEGER     NOT NULL DEFAULT 0,
    text               TEXT,
    tweet_id           TEXT,
    reason             TEXT,
    posting_started_ms BIGINT,
    updated_ms         BIGINT      NOT NULL
);

CREATE INDEX outbox_pending ON outbox (due_at_ms) WHERE status = 'pending';
