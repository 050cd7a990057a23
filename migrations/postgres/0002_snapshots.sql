-- Snapshots of the readers' projection, shared by every replica so a new one starts fast.
-- Tagged with the projection's version: a build whose reducer folds events differently
-- ignores snapshots taken by another.
CREATE TABLE snapshots (
    projection_version INTEGER     NOT NULL,
    position           BIGINT      NOT NULL,
    state              BYTEA       NOT NULL,
    state_hash         TEXT        NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (projection_version, position)
);
