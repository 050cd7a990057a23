-- See the PostgreSQL migration of the same name.
CREATE TABLE notifier_holds (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    posting_until_ms    BIGINT,
    deleting_until_ms   BIGINT,
    posts_left          BIGINT,
    posts_limit         BIGINT,
    posts_reset_ms      BIGINT,
    updated_ms          BIGINT  NOT NULL
);
