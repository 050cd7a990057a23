-- Snapshots are stored out of line but not compressed. PostgreSQL's default (pglz) took ~1 s
-- to compress a 50 MB snapshot when saving it and ~0.1 s to decompress it when a replica
-- starts, which is the time a new replica is meant to save; the disk it would spare is a few
-- tens of MB per kept snapshot. Snapshots saved before this keep their compression.
ALTER TABLE snapshots ALTER COLUMN state SET STORAGE EXTERNAL;
