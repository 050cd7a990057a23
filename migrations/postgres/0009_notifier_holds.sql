-- What X's answers said holds the notifier back: posting until a limit's reset (a 429, or
-- the answer to the day's last post), deleting until another's, and what was left of the
-- account's day of posts. Kept here, not only in the process, so that a notifier restarted or
-- a standby taking over waits as the leader before it did, instead of learning it from X
-- refusing its next request. X stays the authority: a hold lost (an older notifier, a row
-- never written) costs one refused request, as before. Not X refusing the credentials: a
-- restart with other credentials is what clears that. Times are Unix milliseconds.
CREATE TABLE notifier_holds (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    posting_until_ms    BIGINT,
    deleting_until_ms   BIGINT,
    posts_left          BIGINT,
    posts_limit         BIGINT,
    posts_reset_ms      BIGINT,
    updated_ms          BIGINT  NOT NULL
);
