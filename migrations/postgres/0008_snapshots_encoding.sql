-- How a snapshot's `state` holds its bytes: 'raw' as they are (every snapshot saved before
-- this), or 'zstd', a run of zstd frames the log decompresses when reading it (crates/log,
-- packed.rs). A build from before this reads a 'zstd' snapshot's bytes as they are, which
-- fail its hash: its replica replays the log instead.
ALTER TABLE snapshots ADD COLUMN encoding TEXT NOT NULL DEFAULT 'raw';
