-- The event log on SQLite (the embedded default). Same columns and invariants as the
-- PostgreSQL table; positions are assigned as max(position) + 1 inside a BEGIN IMMEDIATE
-- transaction, which SQLite serialises across connections and processes.
CREATE TABLE events (
    position        INTEGER PRIMARY KEY CHECK (position > 0),
    stream_id       TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version > 0),
    event_id        TEXT    NOT NULL UNIQUE,
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL CHECK (schema_version > 0),
    data            TEXT    NOT NULL,
    metadata        TEXT    NOT NULL DEFAULT '{}',
    recorded_at     TEXT    NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: DELETE is not allowed');
END;
