-- The event log: the single source of truth of lately.
--
-- `position` is assigned by the appender as `max(position) + 1` while it holds a
-- transaction-scoped advisory lock, so positions are gap-free and become visible in order:
-- a tailer that has read up to P has seen every committed event with position <= P.
-- (A BIGSERIAL would hand out numbers at insert time, and a lower one could commit after a
-- higher one had been read: that event would be skipped by every tailer, forever.)
CREATE TABLE events (
    position        BIGINT      PRIMARY KEY CHECK (position > 0),
    stream_id       TEXT        NOT NULL,
    stream_version  BIGINT      NOT NULL CHECK (stream_version > 0),
    event_id        UUID        NOT NULL UNIQUE,
    event_type      TEXT        NOT NULL,
    schema_version  INTEGER     NOT NULL CHECK (schema_version > 0),
    data            JSONB       NOT NULL,
    metadata        JSONB       NOT NULL DEFAULT '{}'::jsonb,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (stream_id, stream_version)
);

-- Append-only: history is never edited. (A superuser can still drop the trigger; this guards
-- against mistakes, not against an administrator.)
CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % is not allowed', TG_OP;
END;
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();
