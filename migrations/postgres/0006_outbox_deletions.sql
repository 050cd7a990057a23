-- A finish taken back after its tweet went out has the tweet deleted: `posted -> deleting ->
-- deleted`. `deleting` is written first (when the notifier's scan meets the retraction), so a
-- crash before X answered is simply sent again: deleting is idempotent on X's side.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'posting', 'posted', 'failed', 'skipped', 'dry_run',
                      'deleting', 'deleted'));
CREATE INDEX outbox_deleting ON outbox (finish_position) WHERE status = 'deleting';
