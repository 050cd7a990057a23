-- An item removed or made private, or a finish taken back, while its tweet is being posted
-- (`posting`): nothing is on the account yet to delete, so the scan that meets the change
-- flags the entry instead, and the post that then succeeds records it as `deleting`, not
-- `posted`. Without it, a post settled after the scan (by a leader that lost its lock while
-- posting) would stand for good: the scan has moved past the change.
ALTER TABLE outbox ADD COLUMN delete_after_post BOOLEAN NOT NULL DEFAULT false;
