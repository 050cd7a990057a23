-- Snapshots of the readers' projection (see the PostgreSQL migration of the same name).
CREATE TABLE snapshots (
    projection_version INTEGER NOT NULL,
    position           INTEGER NOT NULL,
    state              BLOB    NOT NULL,
    state_hash         TEXT    NOT NULL,
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (projection_version, position)
);
