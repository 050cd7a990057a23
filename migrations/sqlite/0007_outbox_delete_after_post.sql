-- See the PostgreSQL migration of the same name.
ALTER TABLE outbox ADD COLUMN delete_after_post BOOLEAN NOT NULL DEFAULT false;
