//! The outbox and the checkpoint, on the log's own database (PostgreSQL or SQLite).
//!
//! Every state change of an entry is one conditional UPDATE, so two processes can never both
//! move the same entry from `pending` to `posting`.

use chrono::{DateTime, Utc};
use lately_log::EventLog;
use serde::{Deserialize, Serialize};

use crate::x::DayLeft;
use crate::ANSWER_WITHIN;

#[derive(Clone)]
enum Db {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

/// The same SQL on both backends: PostgreSQL's `$1` placeholders are SQLite's `?1`.
fn sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

/// Runs one statement on a PostgreSQL connection of `pool`, bounded by [`ANSWER_WITHIN`].
///
/// Cut off by a network partition (nothing answers, nothing is closed), an unbounded query
/// waits for as long as the operating system keeps the socket: the leader would stay stuck in
/// its round, still reporting itself leader, long after the server released its lock to a
/// standby. A statement that ran out of time is an error like any other, and its connection
/// is closed rather than handed back mid-answer. Whether it committed is then unknown, which
/// the outbox already allows for: every transition is conditional, and an entry left in
/// `posting` is reconciled as after a crash.
macro_rules! bounded {
    ($pool:expr, |$conn:ident| $statement:expr) => {{
        let mut $conn = $pool.acquire().await?;
        let answer = tokio::time::timeout(ANSWER_WITHIN, $statement).await;
        lately_log::within(answer, $conn, "an outbox statement", ANSWER_WITHIN)
    }};
}

macro_rules! exec {
    ($db:expr, $sql:expr $(, $bind:expr)*) => {
        match $db {
            Db::Pg(p) => bounded!(p, |conn| sqlx::query($sql)$(.bind($bind))*.execute(&mut *conn))
                .map(|r| r.rows_affected()),
            Db::Sqlite(p) => sqlx::query(&sqlite($sql))$(.bind($bind))*.execute(p).await.map(|r| r.rows_affected()),
        }
    };
}

macro_rules! fetch {
    ($db:expr, $ty:ty, $sql:expr $(, $bind:expr)*) => {
        match $db {
            Db::Pg(p) => bounded!(p, |conn| sqlx::query_as::<_, $ty>($sql)$(.bind($bind))*.fetch_all(&mut *conn)),
            Db::Sqlite(p) => sqlx::query_as::<_, $ty>(&sqlite($sql))$(.bind($bind))*.fetch_all(p).await,
        }
    };
}

/// The states an outbox entry can be in (see the migrations' CHECK constraint).
pub const STATUSES: [&str; 8] = [
    "pending", "posting", "posted", "failed", "skipped", "dry_run", "deleting", "deleted",
];

/// One finish the notifier may tweet. (Deserialize: a dump of the log carries the outbox.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub finish_position: i64,
    pub item_id: String,
    pub status: String,
    pub due_at_ms: i64,
    pub attempts: i32,
    pub text: Option<String>,
    pub tweet_id: Option<String>,
    pub reason: Option<String>,
    pub posting_started_ms: Option<i64>,
    pub updated_ms: i64,
}

/// An [`Entry`]'s columns, for a `SELECT` or a `RETURNING`.
macro_rules! entry_columns {
    () => {
        "finish_position, item_id, status, due_at_ms, attempts, text, tweet_id, reason, \
         posting_started_ms, updated_ms"
    };
}

const ENTRY: &str = concat!("SELECT ", entry_columns!(), " FROM outbox");

/// What X's answers said holds the notifier back: the worker's (`Shared`), and as the leader
/// keeps it for the one after it (migration 0009 says why) and the standbys show it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Holds {
    /// Posting waits until then (a 429, or the day's last post).
    pub posting_until: Option<DateTime<Utc>>,
    /// Deleting waits until then.
    pub deleting_until: Option<DateTime<Utc>>,
    /// What was left of the account's day of posts, on the latest post's answer.
    pub day_left: Option<DayLeft>,
}

impl Holds {
    /// Until when posting waits, while it does at `now`.
    pub fn posting(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.posting_until.filter(|until| *until > now)
    }

    /// Until when deleting waits, while it does at `now`.
    pub fn deleting(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.deleting_until.filter(|until| *until > now)
    }

    /// What X last said was left of the account's day of posts, until that day resets.
    pub fn posts_left(&self, now: DateTime<Utc>) -> Option<DayLeft> {
        self.day_left.filter(|day| day.resets_at > now)
    }

    /// Takes in the holds a leader before this one kept: each hold the later of the two (one
    /// past lets everything through anyway), the day's count where this process knows none.
    pub fn take(&mut self, kept: Holds) {
        self.posting_until = self.posting_until.max(kept.posting_until);
        self.deleting_until = self.deleting_until.max(kept.deleting_until);
        self.day_left = self.day_left.or(kept.day_left);
    }
}

#[derive(Clone)]
pub struct Store {
    db: Db,
}

pub type Result<T> = std::result::Result<T, sqlx::Error>;

impl Store {
    pub fn new(log: &EventLog) -> Self {
        let db = match (log.pg_pool(), log.sqlite_pool()) {
            (Some(p), _) => Db::Pg(p.clone()),
            (_, Some(p)) => Db::Sqlite(p.clone()),
            _ => unreachable!("the log has one backend"),
        };
        Self { db }
    }

    pub async fn checkpoint(&self) -> Result<Option<i64>> {
        let rows = fetch!(
            &self.db,
            (i64,),
            "SELECT position FROM notifier_checkpoint WHERE id = 1"
        )?;
        Ok(rows.first().map(|r| r.0))
    }

    pub async fn set_checkpoint(&self, position: i64) -> Result<()> {
        exec!(
            &self.db,
            "INSERT INTO notifier_checkpoint (id, position) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET position = excluded.position",
            position
        )?;
        Ok(())
    }

    /// The holds the latest leader kept (none kept: none).
    pub async fn holds(&self) -> Result<Holds> {
        type Row = (
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let rows = fetch!(
            &self.db,
            Row,
            "SELECT posting_until_ms, deleting_until_ms, posts_left, posts_limit, \
             posts_reset_ms FROM notifier_holds WHERE id = 1"
        )?;
        let at = |ms: Option<i64>| ms.and_then(DateTime::from_timestamp_millis);
        Ok(rows
            .first()
            .map(|&(posting, deleting, left, limit, reset)| Holds {
                posting_until: at(posting),
                deleting_until: at(deleting),
                day_left: match (left, limit, at(reset)) {
                    (Some(left), Some(limit), Some(resets_at)) => Some(DayLeft {
                        remaining: left.max(0) as u64,
                        limit: limit.max(0) as u64,
                        resets_at,
                    }),
                    _ => None,
                },
            })
            .unwrap_or_default())
    }

    /// Keeps `holds` for the leader after this one, merged with what was kept: each hold
    /// only moves on. A hold ends later, never sooner (one past lets everything through
    /// anyway); the day's count is the one of the later day, or the lower of one day's. So a
    /// deposed leader finishing a round with what it was told before its successor took
    /// over does not write it over what the successor was told since, and a later leader
    /// sends nothing X has already said it would refuse.
    pub async fn save_holds(&self, holds: &Holds, now_ms: i64) -> Result<()> {
        let ms = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let day = holds.day_left;
        // The day of `excluded` is later than the kept one, or the same with fewer posts left
        // (a NULL compared is not true: none kept takes the new one, none new keeps the kept).
        const LATER_DAY: &str = "(notifier_holds.posts_reset_ms IS NULL \
             OR excluded.posts_reset_ms > notifier_holds.posts_reset_ms \
             OR (excluded.posts_reset_ms = notifier_holds.posts_reset_ms \
             AND excluded.posts_left < notifier_holds.posts_left))";
        // One statement, the same on both backends (SQLite's two-argument `max` is NULL if
        // either is, PostgreSQL has `GREATEST` instead): comparisons with NULL are not true.
        exec!(
            &self.db,
            &format!(
                "INSERT INTO notifier_holds (id, posting_until_ms, deleting_until_ms, posts_left, \
             posts_limit, posts_reset_ms, updated_ms) VALUES (1, $1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET \
             posting_until_ms = CASE WHEN notifier_holds.posting_until_ms IS NULL \
             OR excluded.posting_until_ms > notifier_holds.posting_until_ms \
             THEN excluded.posting_until_ms ELSE notifier_holds.posting_until_ms END, \
             deleting_until_ms = CASE WHEN notifier_holds.deleting_until_ms IS NULL \
             OR excluded.deleting_until_ms > notifier_holds.deleting_until_ms \
             THEN excluded.deleting_until_ms ELSE notifier_holds.deleting_until_ms END, \
             posts_left = CASE WHEN {LATER_DAY} THEN excluded.posts_left \
             ELSE notifier_holds.posts_left END, \
             posts_limit = CASE WHEN {LATER_DAY} THEN excluded.posts_limit \
             ELSE notifier_holds.posts_limit END, \
             posts_reset_ms = CASE WHEN {LATER_DAY} THEN excluded.posts_reset_ms \
             ELSE notifier_holds.posts_reset_ms END, \
             updated_ms = excluded.updated_ms"
            ),
            ms(holds.posting_until),
            ms(holds.deleting_until),
            day.map(|d| count(d.remaining)),
            day.map(|d| count(d.limit)),
            day.map(|d| d.resets_at.timestamp_millis()),
            now_ms
        )?;
        Ok(())
    }

    /// Moves the checkpoint to `position` unless it is further already.
    pub async fn raise_checkpoint(&self, position: i64) -> Result<()> {
        exec!(
            &self.db,
            "INSERT INTO notifier_checkpoint (id, position) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET position = CASE \
                 WHEN excluded.position > notifier_checkpoint.position THEN excluded.position \
                 ELSE notifier_checkpoint.position END",
            position
        )?;
        Ok(())
    }

    /// Adds entries as they are, every column kept, unless one exists for that finish: a
    /// restore of a dump (`lately-admin restore`), which may run again. A thousand entries a
    /// transaction (one each would be an fsync each on SQLite). Returns how many were added.
    /// Not bounded by [`ANSWER_WITHIN`] as the notifier's own statements are: only the admin
    /// tool, run by hand, calls it, and a transaction of a thousand rows may take longer.
    pub async fn restore(&self, entries: &[Entry]) -> Result<u64> {
        const INSERT: &str = "INSERT INTO outbox (finish_position, item_id, status, due_at_ms, \
                              attempts, text, tweet_id, reason, posting_started_ms, updated_ms) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                              ON CONFLICT DO NOTHING";
        macro_rules! insert_all {
            ($pool:expr, $sql:expr) => {{
                let mut added = 0;
                for chunk in entries.chunks(1000) {
                    let mut tx = $pool.begin().await?;
                    for e in chunk {
                        added += sqlx::query($sql)
                            .bind(e.finish_position)
                            .bind(&e.item_id)
                            .bind(&e.status)
                            .bind(e.due_at_ms)
                            .bind(e.attempts)
                            .bind(&e.text)
                            .bind(&e.tweet_id)
                            .bind(&e.reason)
                            .bind(e.posting_started_ms)
                            .bind(e.updated_ms)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                    tx.commit().await?;
                }
                Ok(added)
            }};
        }
        match &self.db {
            Db::Pg(pool) => insert_all!(pool, INSERT),
            Db::Sqlite(pool) => insert_all!(pool, &sqlite(INSERT)),
        }
    }

    /// Adds an entry unless one exists for that finish (scanning is idempotent).
    pub async fn insert(&self, e: &Entry) -> Result<bool> {
        let n = exec!(
            &self.db,
            "INSERT INTO outbox (finish_position, item_id, status, due_at_ms, attempts, text, \
                                 tweet_id, reason, posting_started_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, 0, $5, NULL, $6, NULL, $7) ON CONFLICT DO NOTHING",
            e.finish_position,
            &e.item_id,
            &e.status,
            e.due_at_ms,
            &e.text,
            &e.reason,
            e.updated_ms
        )?;
        Ok(n == 1)
    }

    pub async fn due(&self, now_ms: i64, limit: i64) -> Result<Vec<Entry>> {
        fetch!(
            &self.db,
            Entry,
            &format!("{ENTRY} WHERE status = 'pending' AND due_at_ms <= $1 ORDER BY due_at_ms, finish_position LIMIT $2"),
            now_ms,
            limit
        )
    }

    /// Entries left in `posting` since before `started_before_ms`: a crash, or a post that
    /// never answered. Those whose reconciling was put off ([`Store::defer`]) until after
    /// `now_ms` wait.
    pub async fn stuck(&self, started_before_ms: i64, now_ms: i64) -> Result<Vec<Entry>> {
        fetch!(
            &self.db,
            Entry,
            &format!("{ENTRY} WHERE status = 'posting' AND posting_started_ms <= $1 AND due_at_ms <= $2 ORDER BY finish_position"),
            started_before_ms,
            now_ms
        )
    }

    /// pending → posting, recording the text about to be sent. False if the entry was not
    /// pending any more.
    pub async fn claim(&self, position: i64, text: &str, now_ms: i64) -> Result<bool> {
        let n = exec!(
            &self.db,
            "UPDATE outbox SET status = 'posting', text = $2, posting_started_ms = $3, \
                    attempts = attempts + 1, updated_ms = $3, delete_after_post = false \
             WHERE finish_position = $1 AND status = 'pending'",
            position,
            text,
            now_ms
        )?;
        Ok(n == 1)
    }

    /// The tweet is out (`tweet_id`, if known): `posted` — or `deleting`, if a scan found the
    /// entry's item removed or made private, or its finish taken back, while it was being
    /// posted ([`Store::mark_deleting`]), when there was nothing on the account to delete.
    pub async fn settle_posted(
        &self,
        position: i64,
        tweet_id: Option<&str>,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<()> {
        exec!(
            &self.db,
            "UPDATE outbox SET tweet_id = $2, updated_ms = $4, delete_after_post = false, \
                    status = CASE WHEN delete_after_post THEN 'deleting' ELSE 'posted' END, \
                    reason = CASE WHEN delete_after_post \
                        THEN 'unpublished while it was being posted: deleting its tweet' \
                        ELSE $3 END \
             WHERE finish_position = $1",
            position,
            tweet_id,
            reason,
            now_ms
        )?;
        Ok(())
    }

    /// A final state: posted, failed, skipped, dry_run or deleted.
    pub async fn settle(
        &self,
        position: i64,
        status: &str,
        text: Option<&str>,
        tweet_id: Option<&str>,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<()> {
        exec!(
            &self.db,
            "UPDATE outbox SET status = $2, text = COALESCE($3, text), tweet_id = $4, reason = $5, \
                    updated_ms = $6 WHERE finish_position = $1",
            position,
            status,
            text,
            tweet_id,
            reason,
            now_ms
        )?;
        Ok(())
    }

    /// Back to pending, to be tried again at `due_at_ms`.
    pub async fn retry(
        &self,
        position: i64,
        due_at_ms: i64,
        reason: &str,
        now_ms: i64,
    ) -> Result<()> {
        exec!(
            &self.db,
            "UPDATE outbox SET status = 'pending', due_at_ms = $2, reason = $3, updated_ms = $4 \
             WHERE finish_position = $1",
            position,
            due_at_ms,
            reason,
            now_ms
        )?;
        Ok(())
    }

    /// Puts off the next try of an entry that stays where it is (`posting` to be reconciled,
    /// `deleting`) until `due_at_ms`, saying why: X failed, or limited, the request. It counts
    /// as an attempt, so that the next deferral waits longer.
    pub async fn defer(
        &self,
        position: i64,
        due_at_ms: i64,
        reason: &str,
        now_ms: i64,
    ) -> Result<()> {
        exec!(
            &self.db,
            "UPDATE outbox SET due_at_ms = $2, reason = $3, updated_ms = $4, \
                    attempts = attempts + 1 WHERE finish_position = $1",
            position,
            due_at_ms,
            reason,
            now_ms
        )?;
        Ok(())
    }

    /// Notes why an entry stays where it is (a reconciliation that could not decide).
    pub async fn note(&self, position: i64, reason: &str, now_ms: i64) -> Result<()> {
        exec!(
            &self.db,
            "UPDATE outbox SET reason = $2, updated_ms = $3 WHERE finish_position = $1",
            position,
            reason,
            now_ms
        )?;
        Ok(())
    }

    /// `failed`, `skipped`, `dry_run` or `deleted` → `pending`, due now: the owner asks for
    /// another try. Those entries never went out (X refused the post, or it was never sent),
    /// or their tweet is gone from the account (deleted when the item was removed, made
    /// private or its finish taken back; posted again, it is judged again when it comes due,
    /// so a finish still retracted or an item still private is not), so posting one now
    /// cannot make a second tweet; `posted`, `posting`, `pending` and `deleting` ones are left
    /// alone, by the statement's own condition, whatever a worker does to them meanwhile. The count
    /// of attempts starts again: a duplicate-content answer to the new try must not pass for
    /// an earlier attempt of this entry's. The entry as it moved (a worker may take it up the
    /// next moment), or `None` if it did not.
    pub async fn requeue(&self, position: i64, now_ms: i64) -> Result<Option<Entry>> {
        let moved = fetch!(
            &self.db,
            Entry,
            concat!(
                "UPDATE outbox SET status = 'pending', due_at_ms = $2, attempts = 0, \
                        tweet_id = NULL, posting_started_ms = NULL, updated_ms = $2, \
                        reason = 'retried by the owner (was ' || status || \
                                 COALESCE(': ' || reason, '') || ')' \
                 WHERE finish_position = $1 \
                   AND status IN ('failed', 'skipped', 'dry_run', 'deleted') \
                 RETURNING ",
                entry_columns!()
            ),
            position,
            now_ms
        )?;
        Ok(moved.into_iter().next())
    }

    /// `posted` → `deleting`: the tweet is no longer to stand (`why`: its finish was taken
    /// back, its item removed or made private), it is to be deleted. Only a posted entry
    /// moves; one still pending is judged again when it comes due, and never posted; one
    /// being posted is flagged, and recorded as `deleting` once posted
    /// ([`Store::settle_posted`]). True if the entry moved.
    pub async fn mark_deleting(&self, position: i64, why: &str, now_ms: i64) -> Result<bool> {
        exec!(
            &self.db,
            "UPDATE outbox SET delete_after_post = true \
             WHERE finish_position = $1 AND status = 'posting'",
            position
        )?;
        let n = exec!(
            &self.db,
            "UPDATE outbox SET status = 'deleting', updated_ms = $2, \
                    reason = $3 || ': deleting its tweet' \
             WHERE finish_position = $1 AND status = 'posted'",
            position,
            now_ms,
            why
        )?;
        Ok(n == 1)
    }

    /// [`Store::mark_deleting`] for every posted finish of an item: all its tweets are to go.
    /// The number of entries moved. (No index on `item_id`: an item is removed or made
    /// private by its owner's hand, and an outbox holds one row per finish ever tweeted.)
    pub async fn mark_item_deleting(&self, item_id: &str, why: &str, now_ms: i64) -> Result<u64> {
        exec!(
            &self.db,
            "UPDATE outbox SET delete_after_post = true \
             WHERE item_id = $1 AND status = 'posting'",
            item_id
        )?;
        exec!(
            &self.db,
            "UPDATE outbox SET status = 'deleting', updated_ms = $2, \
                    reason = $3 || ': deleting its tweet' \
             WHERE item_id = $1 AND status = 'posted'",
            item_id,
            now_ms,
            why
        )
    }

    /// Entries whose tweet is to be deleted, those due soonest first (one put off after a
    /// failure waits behind the rest), then the oldest finish first.
    pub async fn deleting(&self, limit: i64) -> Result<Vec<Entry>> {
        fetch!(
            &self.db,
            Entry,
            &format!(
                "{ENTRY} WHERE status = 'deleting' ORDER BY due_at_ms, finish_position LIMIT $1"
            ),
            limit
        )
    }

    pub async fn entry(&self, position: i64) -> Result<Option<Entry>> {
        let rows = fetch!(
            &self.db,
            Entry,
            &format!("{ENTRY} WHERE finish_position = $1"),
            position
        )?;
        Ok(rows.into_iter().next())
    }

    /// The newest entries first, those of `status` only if given, before `before` (a
    /// position) if given: a page of the outbox.
    pub async fn list(
        &self,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Entry>> {
        let sql = format!(
            "{ENTRY} WHERE finish_position < $1 {} ORDER BY finish_position DESC LIMIT $2",
            if status.is_some() {
                "AND status = $3"
            } else {
                ""
            }
        );
        let before = before.unwrap_or(i64::MAX);
        match status {
            Some(status) => fetch!(&self.db, Entry, &sql, before, limit, status),
            None => fetch!(&self.db, Entry, &sql, before, limit),
        }
    }

    /// The entries of the finishes at `positions` (those the outbox holds), newest first: what
    /// a page showing a few finishes says of their tweets, however far apart they were logged.
    pub async fn at(&self, positions: &[i64]) -> Result<Vec<Entry>> {
        // PostgreSQL binds the list as an array; SQLite, which has none, as JSON.
        match &self.db {
            Db::Pg(p) => bounded!(p, |conn| sqlx::query_as::<_, Entry>(concat!(
                "SELECT ",
                entry_columns!(),
                " FROM outbox WHERE finish_position = ANY($1) ORDER BY finish_position DESC"
            ))
            .bind(positions)
            .fetch_all(&mut *conn)),
            Db::Sqlite(p) => {
                sqlx::query_as::<_, Entry>(concat!(
                    "SELECT ",
                    entry_columns!(),
                    " FROM outbox WHERE finish_position IN (SELECT value FROM json_each(?1)) \
                     ORDER BY finish_position DESC"
                ))
                .bind(serde_json::to_string(positions).expect("integers serialize"))
                .fetch_all(p)
                .await
            }
        }
    }

    pub async fn counts(&self) -> Result<Vec<(String, i64)>> {
        fetch!(
            &self.db,
            (String, i64),
            "SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_leader_takes_the_later_holds_and_the_days_count_it_has_none_of() {
        let at = |s: i64| DateTime::<Utc>::from_timestamp(1_796_000_000 + s, 0).unwrap();
        let day = |remaining| DayLeft {
            remaining,
            limit: 17,
            resets_at: at(3_600),
        };
        let mut mine = Holds {
            posting_until: Some(at(60)),
            deleting_until: None,
            day_left: None,
        };
        mine.take(Holds {
            posting_until: Some(at(30)),
            deleting_until: Some(at(90)),
            day_left: Some(day(0)),
        });
        assert_eq!(
            mine,
            Holds {
                posting_until: Some(at(60)),
                deleting_until: Some(at(90)),
                day_left: Some(day(0)),
            }
        );
        // What this process was told itself stands over what was kept.
        mine.day_left = Some(day(5));
        mine.take(Holds {
            posting_until: Some(at(120)),
            deleting_until: None,
            day_left: Some(day(2)),
        });
        assert_eq!(mine.posting_until, Some(at(120)));
        assert_eq!(mine.day_left, Some(day(5)));
        // While they last: a hold or a day past says nothing.
        assert_eq!(mine.posting(at(119)), Some(at(120)));
        assert_eq!(mine.posting(at(120)), None);
        assert_eq!(mine.deleting(at(100)), None);
        assert_eq!(mine.posts_left(at(3_599)), Some(day(5)));
        assert_eq!(mine.posts_left(at(3_600)), None);
    }
}
