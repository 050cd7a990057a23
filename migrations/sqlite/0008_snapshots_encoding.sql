-- How a snapshot's `state` holds its bytes (see the PostgreSQL migration of the same name).
ALTER TABLE snapshots ADD COLUMN encoding TEXT NOT NULL DEFAULT 'raw';
