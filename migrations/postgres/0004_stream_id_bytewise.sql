-- Stream ids compare byte by byte. They are ids (`kind-slug-suffix` in ASCII), never sorted
-- for people, and every append checks its (stream_id, stream_version) pair against the unique
-- index: under the database's default collation each of those comparisons went through the
-- locale's strcoll (slow under en_US.UTF-8 and the like, and C.UTF-8 is not C to PostgreSQL 15).
-- Equality is the same under both, so no query changes meaning. Rewrites the table once.
ALTER TABLE events ALTER COLUMN stream_id TYPE TEXT COLLATE "C";
