//! The notifier's loop: follow the log, and while leader, scan finishes into the outbox,
//! reconcile what a crash left behind, and post what is due.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lately_domain::{ItemEvent, ItemState, MediaKind, Status, Visibility};
use lately_log::{EventLog, RecordedEvent};
use lately_projection::Projection;
use rand::Rng;

use crate::compose::{compose, counts_the_year, Finish, InYear};
use crate::configuration::{Config, Start};
use crate::cover;
use crate::leader::Leadership;
use crate::store::{Entry, Holds, Store};
use crate::x::{Deleted, Limited, LookupFailed, Posted, XClient};

/// What the HTTP side reports.
#[derive(Default)]
pub struct Shared {
    pub leader: AtomicBool,
    pub position: AtomicI64,
    pub head: AtomicI64,
    pub caught_up: AtomicBool,
    /// X refused the credentials: posting has stopped until the notifier is restarted.
    pub auth_failed: Mutex<Option<String>>,
    /// What X's answers hold back: posting and deleting until their rate limits reset (X
    /// limits the two apart, and a day's posts used up must not keep a tweet of an item made
    /// private on the account for the rest of the day), and what is left of the day's posts.
    /// One lock, so that what is kept for the next leader is one moment's.
    holds: Mutex<Holds>,
    pub dry_run: AtomicBool,
}

impl Shared {
    /// The holds as they are now.
    pub fn holds(&self) -> Holds {
        *self.holds.lock().expect("not poisoned")
    }

    /// Changes the holds, under their lock.
    fn hold<R>(&self, change: impl FnOnce(&mut Holds) -> R) -> R {
        change(&mut self.holds.lock().expect("not poisoned"))
    }
}

pub struct Worker {
    pub config: Config,
    pub log: EventLog,
    pub store: Store,
    /// `None`: dry-run.
    pub x: Option<XClient>,
    /// What fetches the items' covers for their tweets; `None`: tweets go without
    /// (`LATELY_TWEET_COVERS=false`).
    pub covers: Option<reqwest::Client>,
    pub shared: Arc<Shared>,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Worker {
    pub async fn run(self) {
        let mut projection = Projection::new();
        let mut sub = self
            .log
            .subscribe(0)
            .with_page_size(5000)
            .without_metadata();
        let mut leadership: Option<Leadership> = None;
        let mut next_leader_try = tokio::time::Instant::now();
        let poll = Duration::from_millis(self.config.poll_ms.max(10));
        let mut target = None;
        loop {
            // Follow the log: everything available now, or wait up to one poll interval.
            match tokio::time::timeout(poll, sub.next()).await {
                Ok(Ok(page)) => apply(&mut projection, &page),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "reading the log failed; retrying");
                    tokio::time::sleep(poll).await;
                }
                Err(_) => {}
            }
            self.shared
                .position
                .store(projection.position(), Ordering::Relaxed);
            if target.is_none() {
                target = self.log.head().await.ok();
            }
            if let Some(t) = target {
                self.shared.head.fetch_max(t, Ordering::Relaxed);
                if projection.position() >= t {
                    self.shared.caught_up.store(true, Ordering::Relaxed);
                }
            }
            if !self.shared.caught_up.load(Ordering::Relaxed) {
                continue; // titles and visibility must be current before anything is posted
            }

            // Leadership.
            if let Some(l) = &mut leadership {
                if !l.still_held().await {
                    tracing::warn!("lost the leader lock; standing by");
                    leadership = None;
                    self.shared.leader.store(false, Ordering::Relaxed);
                }
            }
            if leadership.is_none() && tokio::time::Instant::now() >= next_leader_try {
                next_leader_try = tokio::time::Instant::now() + Duration::from_secs(1);
                match Leadership::try_acquire(&self.config.database_url).await {
                    Ok(Some(l)) => {
                        tracing::info!("leader: this notifier posts");
                        leadership = Some(l);
                        self.take_holds().await;
                        self.shared.leader.store(true, Ordering::Relaxed);
                    }
                    Ok(None) => self.mirror_holds().await,
                    Err(e) => tracing::debug!(error = %e, "cannot try the leader lock"),
                }
            }
            if leadership.is_none() {
                continue;
            }
            if let Err(e) = self.lead(&projection, target.unwrap_or(0)).await {
                tracing::warn!(error = %e, "outbox work failed; retrying");
            }
        }
    }

    /// One round of the leader's work.
    async fn lead(&self, projection: &Projection, start_head: i64) -> Result<(), sqlx::Error> {
        let scanned = self.scan(projection, start_head).await?;
        // Everything after the scan judges an entry on this projection: whether its item is
        // still public (to post it), removed or private (to delete its tweet). A leader that
        // took over from one whose projection was further along finds the checkpoint ahead of
        // its own: the removals up to there were scanned while the entries they concern were
        // pending, so nothing marked them. Judged on a projection that has not applied those
        // removals yet, a removed item's finish would be posted (or its tweet kept) and never
        // deleted. So nothing is judged until the projection has applied all that was scanned.
        if projection.position() < scanned {
            return Ok(());
        }
        let auth_failed = || {
            self.shared
                .auth_failed
                .lock()
                .expect("not poisoned")
                .is_some()
        };
        if auth_failed() {
            return Ok(());
        }
        self.reconcile(projection).await?;
        // A look-up of the account can be what meets X refusing the credentials.
        if auth_failed() {
            return Ok(());
        }
        let posting_held = || self.shared.holds().posting(Utc::now()).is_some();
        if !posting_held() {
            for entry in self.store.due(now_ms(), 20).await? {
                // The day's last post holds the rest of the batch back too, not only the
                // rounds after it.
                if posting_held() || !self.post(projection, &entry).await? {
                    break;
                }
            }
        }
        if auth_failed() || self.shared.holds().deleting(Utc::now()).is_some() {
            return Ok(());
        }
        for entry in self.store.deleting(20).await? {
            if !self.delete(projection, &entry).await? {
                break;
            }
        }
        Ok(())
    }

    /// Adds an outbox entry for every finish between the checkpoint and what the projection has
    /// applied, then moves the checkpoint. Idempotent: a crash in between re-scans, and the
    /// entries already there are kept.
    ///
    /// A first start (no checkpoint) begins at the head this process saw when it started, so
    /// history is not tweeted but nothing written since the start is missed.
    ///
    /// Returns the checkpoint: how far the log has been scanned, by this process or another.
    async fn scan(&self, projection: &Projection, start_head: i64) -> Result<i64, sqlx::Error> {
        let checkpoint = match self.store.checkpoint().await? {
            Some(c) => c,
            None => {
                let start = match self.config.start {
                    Start::Head => start_head,
                    Start::Beginning => 0,
                };
                tracing::info!(start, "first start: tweeting finishes after this position");
                self.store.set_checkpoint(start).await?;
                start
            }
        };
        let mut scanned = checkpoint;
        while scanned < projection.position() {
            let page = self
                .log
                .read_after(scanned, 1000)
                .await
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            let Some(last) = page.last().map(|e| e.position) else {
                break;
            };
            for event in page.iter().filter(|e| e.position <= projection.position()) {
                match event.event_type.as_str() {
                    "item_finished" => self.enqueue(projection, event).await?,
                    // A finish taken back: if its tweet went out, it is to be deleted. (One
                    // still pending is skipped when it comes due; one being posted — by a
                    // leader that lost its lock while posting, since posting and scanning
                    // take turns in this loop — is flagged, and deleted once posted.)
                    "item_finish_retracted" => {
                        if let Some(finish) = projection.retracted_by(event.position) {
                            let why = "the finish was retracted";
                            if self.store.mark_deleting(finish, why, now_ms()).await? {
                                tracing::info!(position = finish, "{why}: deleting its tweet");
                            }
                        }
                    }
                    // The item removed or made private: none of its tweets is to stand. Judged
                    // on the item as it is now, so one made private and public again within
                    // this scan keeps them; an edit that leaves an item private finds nothing
                    // posted to move.
                    "item_removed" | "item_edited" => {
                        let item = event.stream_id.as_str();
                        if let Some(why) = item_unpublished(projection, item) {
                            let moved = self.store.mark_item_deleting(item, why, now_ms()).await?;
                            if moved > 0 {
                                tracing::info!(item, tweets = moved, "{why}: deleting its tweets");
                            }
                        }
                    }
                    _ => {}
                }
            }
            scanned = last.min(projection.position());
            self.store.set_checkpoint(scanned).await?;
        }
        Ok(scanned)
    }

    async fn enqueue(
        &self,
        projection: &Projection,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error> {
        let Ok(ItemEvent::Finished(finish)) =
            ItemEvent::decode_json(&event.event_type, event.schema_version, event.data.as_str())
        else {
            return Ok(());
        };
        let now = Utc::now();
        let too_old = now - finish.at
            > chrono::Duration::from_std(self.config.max_age).unwrap_or(chrono::Duration::MAX);
        // Its kind as the item has it when scanned (up to this projection's position).
        let kind = projection.kind(&event.stream_id);
        // Settled when it is enqueued, as a finish too old is; the owner's retry can still
        // post it (a change of mind).
        let skip = if !finish.tweet {
            Some("recorded not to be tweeted (--no-tweet, “Tweet it” unticked, an import or the demo)".to_owned())
        } else if let Some(kind) = kind.filter(|k| !self.config.tweet_kinds.tweets(*k)) {
            Some(format!(
                "{} are not tweeted (LATELY_TWEET_KINDS)",
                kind.noun(2)
            ))
        } else if too_old {
            Some(format!(
                "finished {}, longer ago than LATELY_TWEET_MAX_AGE",
                self.config.time_zone.day(finish.at)
            ))
        } else {
            None
        };
        let due =
            event.recorded_at + chrono::Duration::from_std(self.config.delay).unwrap_or_default();
        let entry = Entry {
            finish_position: event.position,
            item_id: event.stream_id.clone(),
            status: if skip.is_some() { "skipped" } else { "pending" }.into(),
            due_at_ms: due.timestamp_millis(),
            attempts: 0,
            text: None,
            tweet_id: None,
            reason: skip,
            posting_started_ms: None,
            updated_ms: now.timestamp_millis(),
        };
        if self.store.insert(&entry).await? {
            metrics::counter!("lately_notifier_enqueued_total", "status" => entry.status.clone())
                .increment(1);
        }
        Ok(())
    }

    /// Entries left in `posting` for longer than a post may take: look on the account. Found:
    /// posted. Certainly not there: pending again. Cannot tell for now (a read limited or
    /// failed): left as is, reported, and looked for again later (at the limit's reset). Cannot
    /// tell at all (X lets this app read no timeline): `failed`, for the owner to judge.
    async fn reconcile(&self, projection: &Projection) -> Result<(), sqlx::Error> {
        let cutoff = now_ms() - self.config.posting_timeout.as_millis() as i64;
        for entry in self.store.stuck(cutoff, now_ms()).await? {
            let text = entry.text.clone().unwrap_or_default();
            let Some(x) = &self.x else {
                self.store
                    .retry(
                        entry.finish_position,
                        now_ms(),
                        "dry-run: never posted",
                        now_ms(),
                    )
                    .await?;
                continue;
            };
            match x.find_recent(&text).await {
                Ok(Some(id)) => {
                    tracing::info!(position = entry.finish_position, tweet_id = %id, "reconciled: it was posted");
                    self.store
                        .settle_posted(
                            entry.finish_position,
                            Some(&id),
                            Some("reconciled after an interrupted post"),
                            now_ms(),
                        )
                        .await?;
                    metrics::counter!("lately_notifier_posted_total").increment(1);
                    // Taken back, removed or made private while the post was in doubt: the
                    // scan found it `posting`, and moved nothing.
                    if let Some(why) =
                        unpublished(projection, entry.finish_position, &entry.item_id)
                    {
                        self.store
                            .mark_deleting(entry.finish_position, why, now_ms())
                            .await?;
                    }
                }
                Ok(None) => {
                    tracing::warn!(
                        position = entry.finish_position,
                        "reconciled: not on the account; posting again"
                    );
                    self.store
                        .retry(
                            entry.finish_position,
                            now_ms(),
                            "interrupted post not found on the account; posting again",
                            now_ms(),
                        )
                        .await?;
                }
                Err(LookupFailed::Refused(e)) => {
                    // Never posted again on a guess: the owner, who can look, decides.
                    tracing::error!(position = entry.finish_position, error = %e, "cannot tell whether an interrupted post went out, and X does not let this app look; settled failed for the owner to judge");
                    metrics::counter!("lately_notifier_unreconciled_total").increment(1);
                    self.settle_with(
                        entry.finish_position,
                        "failed",
                        None,
                        &format!(
                            "the post was interrupted, and X does not let this app read the \
                             account's tweets to tell whether it went out ({e}): look on the \
                             account, and if it is not there, retry the tweet"
                        ),
                    )
                    .await?;
                }
                Err(LookupFailed::Unauthorized(e)) => {
                    // Left `posting`: the notifier restarted with working credentials looks
                    // again. Asking meanwhile would only be refused again.
                    self.store
                        .note(
                            entry.finish_position,
                            &format!("cannot reconcile: 401 from X: {e}"),
                            now_ms(),
                        )
                        .await?;
                    self.credentials_refused(e);
                    return Ok(());
                }
                Err(e) => {
                    let (until, e) = ask_again(e, entry.attempts + 1);
                    tracing::error!(position = entry.finish_position, error = %e, %until, "cannot tell whether an interrupted post went out; not posting it again");
                    metrics::counter!("lately_notifier_unreconciled_total").increment(1);
                    self.store
                        .defer(
                            entry.finish_position,
                            until.timestamp_millis(),
                            &format!("cannot reconcile: {e}; asking again at {}", said(until)),
                            now_ms(),
                        )
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Posts one due entry. Returns false when posting should stop for this round.
    async fn post(&self, projection: &Projection, entry: &Entry) -> Result<bool, sqlx::Error> {
        let now = now_ms();
        let position = entry.finish_position;
        // Another leader may have enqueued this finish from a projection further along than
        // this one (it took over while still catching up). Judged now, the finish would not
        // be in the item's history yet, or the item not even added: a public finish settled
        // as skipped or failed, never tweeted. Wait until the projection has it.
        if position > projection.position() {
            return Ok(false);
        }
        // The item's state *now*: a removal, a privacy change or an edit within the grace
        // period is honoured.
        let Some((item, history)) = projection.item(&entry.item_id, None) else {
            self.settle_with(
                position,
                "skipped",
                None,
                "removed or private by the time it was due",
            )
            .await?;
            return Ok(true);
        };
        let Some(finish) = history
            .iter()
            .find(|h| h.position == position)
            .and_then(|h| match &h.event {
                ItemEvent::Finished(f) => Some(f.clone()),
                _ => None,
            })
        else {
            self.settle_with(
                position,
                "failed",
                None,
                "the finish is not in the item's history",
            )
            .await?;
            return Ok(true);
        };
        // Taken back (recorded by mistake) before it was due: never tweeted.
        if projection.finish_retracted(position) {
            self.settle_with(
                position,
                "skipped",
                None,
                "the finish was retracted before it was due",
            )
            .await?;
            return Ok(true);
        }
        // Where it stands in its year, as of when it was finished (the day it was recorded
        // with), as the public stats were then.
        let in_year = counts_the_year(&self.config.template)
            .then(|| self.in_year(projection, &entry.item_id, position, item.kind, finish.at));
        // Revised since (its rating, review or start, while it was the item's latest finish):
        // honoured like an edit of the item, up to the moment it is posted. A later finish
        // hides it from revisions until that one is retracted.
        let mut later_finishes = 0usize;
        let mut revised_start = None;
        let finish = history
            .iter()
            .skip_while(|h| h.position <= position)
            .fold(finish, |f, h| match &h.event {
                ItemEvent::Finished(_) => {
                    later_finishes += 1;
                    f
                }
                ItemEvent::FinishRetracted(_) => {
                    later_finishes = later_finishes.saturating_sub(1);
                    f
                }
                ItemEvent::FinishRevised(r) if later_finishes == 0 => {
                    revised_start = r.started_at.or(revised_start);
                    r.revise(&f)
                }
                _ => f,
            });
        // Which reading this is: the finishes up to it that stand.
        let nth = history
            .iter()
            .filter(|h| h.position <= position)
            .filter(|h| match &h.event {
                ItemEvent::Finished(_) => !projection.finish_retracted(h.position),
                _ => false,
            })
            .count();
        // The item just before the finish: what its read was followed in, and when it began.
        let before = ItemState::replay(
            history
                .iter()
                .take_while(|h| h.position < position)
                .map(|h| &h.event),
        );
        // How long its read took, in the owner's calendar: from the start a revision gave it,
        // or else from when the item went in progress, if it was just before the finish.
        let zone = self.config.time_zone;
        let days = revised_start
            .or_else(|| before.as_ref()?.in_progress_since())
            .map(|start| zone.days_between(start, finish.at));
        let review = finish.review.as_ref().map(|r| r.to_string());
        // The item's own link, or else the finish on its page on the feed, if the feed's
        // address is known.
        let page = self
            .config
            .public_url
            .as_ref()
            .map(|base| format!("{base}/items/{}#finish-{position}", entry.item_id));
        let text = compose(
            &self.config.template,
            &Finish {
                kind: item.kind,
                title: &item.title,
                creators: &item.creators,
                url: item.url.as_deref().or(page.as_deref()),
                rating: finish.rating,
                review: review.as_deref(),
                nth,
                days,
                in_year,
                tags: &item.tags,
                followed_in: ItemState::finish_followed_in(before.as_ref(), finish.listened),
                played: before.as_ref().and_then(ItemState::time_played),
            },
        );
        let Some(x) = &self.x else {
            tracing::info!(position, %text, "dry-run: would tweet");
            self.store
                .settle(
                    position,
                    "dry_run",
                    Some(&text),
                    None,
                    Some("no X credentials: recorded, not posted"),
                    now,
                )
                .await?;
            return Ok(true);
        };
        // Its cover, fetched and uploaded before the claim: a slow host delays the tweet, not
        // the `posting` that an interrupted attempt is reconciled by. Done again on a retry
        // (an unused upload expires on X).
        let (media_id, without) = match (&self.covers, &item.cover_url) {
            (Some(client), Some(url)) => {
                let alt = cover::alt_text(item.kind, &item.title, &item.creators);
                match cover::fetch(client, url).await {
                    Ok(picture) => match x.upload(&picture, &alt).await {
                        Ok(id) => (Some(id), None),
                        Err(why) => (None, Some(why)),
                    },
                    Err(why) => (None, Some(why)),
                }
            }
            _ => (None, None),
        };
        let mut without = without.map(|why| {
            tracing::warn!(position, %why, "tweeting without the cover");
            format!("posted without its cover: {why}")
        });
        if !self.store.claim(position, &text, now_ms()).await? {
            return Ok(true);
        }
        let mut outcome = x.post(&text, media_id.as_deref()).await;
        // Refused with the picture (its upload expired, say): nothing went out, so the tweet
        // goes without it rather than not at all. Refused for another reason (an app with
        // read-only access), it is refused again, as it would have been.
        if let (Some(_), Posted::Rejected(why)) = (&media_id, &outcome) {
            tracing::warn!(position, %why, "X refused the tweet with its cover; tweeting without");
            let refused = format!("posted without its cover: X refused the tweet with it: {why}");
            outcome = x.post(&text, None).await;
            without = Some(refused);
        }
        if self.config.crash_after_post && matches!(outcome, Posted::Created { .. }) {
            tracing::error!("LATELY_NOTIFIER_CRASH_AFTER_POST: aborting before recording the post");
            std::process::abort();
        }
        let now = now_ms();
        match outcome {
            Posted::Created { id, day } => {
                tracing::info!(position, tweet_id = %id, posts_left_today = ?day.map(|d| d.remaining), "tweeted");
                // The day's last post: the next would only be refused (X's 429), so posting
                // waits for the day's reset from now, as it would after that refusal.
                let used_up = day.filter(|d| d.remaining == 0 && d.resets_at > Utc::now());
                self.shared.hold(|h| {
                    h.day_left = day;
                    if let Some(day) = used_up {
                        h.posting_until = Some(day.resets_at);
                    }
                });
                if let Some(day) = used_up {
                    tracing::warn!(until = %day.resets_at, limit = day.limit, "the day's posts are used up; posting waits for the day's reset");
                }
                metrics::counter!("lately_notifier_posted_total").increment(1);
                self.store
                    .settle_posted(position, Some(&id), without.as_deref(), now)
                    .await?;
                // After the post is recorded: nothing between posting and recording but the
                // recording (the window a crash leaves to reconciliation).
                self.keep_holds().await;
                Ok(true)
            }
            Posted::RateLimited(Limited { until, why }) => {
                tracing::warn!(%until, %why, "rate limited by X; posting waits for the reset");
                self.shared.hold(|h| h.posting_until = Some(until));
                self.keep_holds().await;
                self.store
                    .retry(
                        position,
                        until.timestamp_millis(),
                        &format!("rate limited (429): {why}; trying again at {}", said(until)),
                        now,
                    )
                    .await?;
                Ok(false)
            }
            Posted::Retry(reason) => {
                let backoff = backoff(entry.attempts + 1, 0.0);
                tracing::warn!(%reason, ?backoff, "post failed; retrying later");
                self.store
                    .retry(position, now + backoff.as_millis() as i64, &reason, now)
                    .await?;
                Ok(false)
            }
            Posted::Duplicate(reason) if entry.attempts > 0 => {
                // Tried before (an interrupted post found missing, then posted again): X
                // already holds this exact text, so it went out.
                self.store
                    .settle_posted(
                        position,
                        None,
                        Some(&format!(
                            "X reports it as a duplicate of an earlier attempt: {reason}"
                        )),
                        now,
                    )
                    .await?;
                Ok(true)
            }
            Posted::Duplicate(reason) | Posted::Rejected(reason) => {
                tracing::warn!(position, %reason, "X refused the tweet; not retrying");
                metrics::counter!("lately_notifier_failed_total").increment(1);
                self.store
                    .settle(position, "failed", None, None, Some(&reason), now)
                    .await?;
                Ok(true)
            }
            Posted::Unauthorized(reason) => {
                self.store
                    .retry(position, now, &format!("401 from X: {reason}"), now)
                    .await?;
                self.credentials_refused(reason);
                Ok(false)
            }
            Posted::Unknown(reason) => {
                // Left in `posting`: reconciliation decides once the timeout has passed.
                tracing::warn!(position, %reason, "no answer from X; will reconcile before any retry");
                self.store
                    .note(position, &format!("no answer: {reason}"), now)
                    .await?;
                Ok(false)
            }
        }
    }
}

impl Worker {
    /// Where the finish at `position`, of an item of `kind`, stands in the year of `at`: the
    /// public finishes of its kind, and of its goal's, as of that position. An item made
    /// public only since was in no public count then: its own finish is added.
    fn in_year(
        &self,
        projection: &Projection,
        item_id: &str,
        position: i64,
        kind: MediaKind,
        at: DateTime<Utc>,
    ) -> InYear {
        let zone = self.config.time_zone;
        let year = zone.year(at);
        let stats = projection.stats(Some(year), zone, Some(position));
        let own = u64::from(projection.item(item_id, Some(position)).is_none());
        let of = |k: Option<MediaKind>| {
            own + k.map_or(stats.finished, |k| {
                stats.by_kind.get(&k).copied().unwrap_or(0)
            })
        };
        InYear {
            year,
            of_kind: of(Some(kind)),
            goal: self.config.goals.of(kind).map(|(k, g)| (k, g, of(k))),
        }
    }

    /// Deletes the tweet of a finish taken back, or of an item removed or made private.
    /// Returns false when deleting should stop for this round. Deleting twice is harmless (X
    /// answers 404, taken as gone), so an answer lost to a crash or a timeout is simply asked
    /// for again.
    async fn delete(&self, projection: &Projection, entry: &Entry) -> Result<bool, sqlx::Error> {
        let position = entry.finish_position;
        // Judged again now: an item restored or made public again before its tweet was
        // deleted keeps it.
        let Some(why) = unpublished(projection, position, &entry.item_id) else {
            self.settle_with(
                position,
                "posted",
                entry.tweet_id.as_deref(),
                "the item is on the feed again before its tweet was deleted: the tweet stays",
            )
            .await?;
            return Ok(true);
        };
        // Put off after a failure: judged above, sent later.
        if entry.due_at_ms > now_ms() {
            return Ok(true);
        }
        let Some(x) = &self.x else {
            self.settle_with(
                position,
                "posted",
                entry.tweet_id.as_deref(),
                &format!("{why}, but this notifier has no X credentials: the tweet stays"),
            )
            .await?;
            return Ok(true);
        };
        // Recorded as posted from a duplicate-content answer, without its id: look it up.
        let tweet_id = match &entry.tweet_id {
            Some(id) => Some(id.clone()),
            None => match x
                .find_recent(entry.text.as_deref().unwrap_or_default())
                .await
            {
                Ok(found) => found,
                Err(LookupFailed::Refused(e)) => {
                    self.settle_with(
                        position,
                        "posted",
                        None,
                        &format!(
                            "{why}, but X does not let this app find its tweet to delete it \
                             ({e}): delete it on the account"
                        ),
                    )
                    .await?;
                    return Ok(true);
                }
                Err(LookupFailed::Unauthorized(e)) => {
                    self.credentials_refused(e);
                    return Ok(false);
                }
                Err(e) => {
                    let (until, e) = ask_again(e, entry.attempts + 1);
                    self.store
                        .defer(
                            position,
                            until.timestamp_millis(),
                            &format!(
                                "cannot find the tweet to delete: {e}; asking again at {}",
                                said(until)
                            ),
                            now_ms(),
                        )
                        .await?;
                    return Ok(false);
                }
            },
        };
        let outcome = match &tweet_id {
            Some(id) => x.delete(id).await,
            None => Deleted::Gone,
        };
        let now = now_ms();
        match outcome {
            Deleted::Gone => {
                tracing::info!(position, tweet_id = ?tweet_id, "{why}: its tweet deleted");
                metrics::counter!("lately_notifier_deleted_total").increment(1);
                self.settle_with(
                    position,
                    "deleted",
                    tweet_id.as_deref(),
                    &format!("{why}: its tweet was deleted"),
                )
                .await?;
                Ok(true)
            }
            Deleted::RateLimited(Limited { until, why }) => {
                tracing::warn!(%until, %why, "rate limited by X; deleting waits for the reset");
                self.shared.hold(|h| h.deleting_until = Some(until));
                self.keep_holds().await;
                self.store
                    .note(
                        position,
                        &format!(
                            "deleting the tweet: rate limited (429): {why}; trying again at {}",
                            said(until)
                        ),
                        now,
                    )
                    .await?;
                Ok(false)
            }
            Deleted::Retry(reason) => {
                let until = recheck(entry.attempts + 1);
                tracing::warn!(position, %reason, %until, "deleting a tweet failed; trying again later");
                self.store
                    .defer(
                        position,
                        until.timestamp_millis(),
                        &format!(
                            "deleting the tweet: {reason}; trying again at {}",
                            said(until)
                        ),
                        now,
                    )
                    .await?;
                Ok(false)
            }
            Deleted::Rejected(reason) => {
                tracing::warn!(position, %reason, "X refused to delete a tweet");
                self.settle_with(
                    position,
                    "posted",
                    tweet_id.as_deref(),
                    &format!("{why}, but X refused to delete the tweet: {reason}"),
                )
                .await?;
                Ok(true)
            }
            Deleted::Unauthorized(reason) => {
                self.credentials_refused(reason);
                Ok(false)
            }
        }
    }

    /// Keeps X's holds as they are now for the leader after this one. Best effort: one not
    /// kept costs that leader a request X refuses, as it would without.
    async fn keep_holds(&self) {
        if let Err(e) = self.store.save_holds(&self.shared.holds(), now_ms()).await {
            tracing::warn!(error = %e, "cannot keep X's holds for the next leader");
        }
    }

    /// A standby's: the holds the leader keeps, as they are, so that this notifier's status,
    /// outbox page and metrics say what holds the tweets back (as the leader's do), not
    /// nothing, or what it was told itself while it led.
    async fn mirror_holds(&self) {
        match self.store.holds().await {
            Ok(kept) => self.shared.hold(|h| *h = kept),
            Err(e) => tracing::debug!(error = %e, "cannot read the holds the leader keeps"),
        }
    }

    /// On taking the lead: the holds the leader before this one kept, where this process
    /// knows of none (a notifier restarted, a standby taking over), so that it does not send
    /// what X would refuse. A hold already past is kept as said and lets everything through.
    async fn take_holds(&self) {
        let kept = match self.store.holds().await {
            Ok(kept) => kept,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read X's holds the leader before kept; X will say them again");
                return;
            }
        };
        let holds = self.shared.hold(|h| {
            h.take(kept);
            *h
        });
        if let Some(until) = holds.posting(Utc::now()) {
            tracing::warn!(%until, "posting waits for X's reset, as the leader before this one was told");
        }
        if let Some(until) = holds.deleting(Utc::now()) {
            tracing::warn!(%until, "deleting waits for X's reset, as the leader before this one was told");
        }
    }

    /// X answered 401, to a post, a deletion or a look-up of the account: nothing more is
    /// sent until the notifier is restarted with working credentials (`/readyz` and the
    /// outbox's page say why meanwhile).
    fn credentials_refused(&self, reason: String) {
        tracing::error!(%reason, "X REFUSED THE CREDENTIALS (401): posting stopped until the notifier is restarted with working ones");
        *self.shared.auth_failed.lock().expect("not poisoned") = Some(reason);
    }

    /// Settles an entry with why: a finish judged not to be tweeted, or where a deletion
    /// ends (`deleted`, or `posted` again when the tweet stays).
    async fn settle_with(
        &self,
        position: i64,
        status: &str,
        tweet_id: Option<&str>,
        reason: &str,
    ) -> Result<(), sqlx::Error> {
        self.store
            .settle(position, status, None, tweet_id, Some(reason), now_ms())
            .await
    }
}

/// Why the tweet of the finish at `position` (of `item_id`) is no longer to stand, judged on
/// the projection now: the finish was taken back, or [`item_unpublished`]. `None`: it stands.
fn unpublished(projection: &Projection, position: i64, item_id: &str) -> Option<&'static str> {
    if projection.finish_retracted(position) {
        return Some("the finish was retracted");
    }
    item_unpublished(projection, item_id)
}

/// Why an item's tweets are no longer to stand: it was removed, or made private. `None` for
/// a public item, and for one the projection does not know (a tweet is not deleted on a
/// guess).
fn item_unpublished(projection: &Projection, item_id: &str) -> Option<&'static str> {
    let (item, _) = projection.owner_item(item_id, None)?;
    if item.item.status == Status::Removed {
        Some("the item was removed")
    } else if item.visibility == Visibility::Private {
        Some("the item was made private")
    } else {
        None
    }
}

fn apply(projection: &mut Projection, page: &[RecordedEvent]) {
    for e in page {
        match ItemEvent::decode_json(&e.event_type, e.schema_version, e.data.as_str()) {
            Ok(event) => projection.apply(e.position, &e.stream_id, e.recorded_at, &event),
            Err(err) => {
                tracing::error!(position = e.position, error = %err, "cannot read an event; skipping it for tweets")
            }
        }
    }
}

/// When to ask X again after a failure it gave no time for (a 5xx, no answer), the entry's
/// `attempts`-th (its posts and the deferrals before this one counted): half a minute or so
/// on at first, not at every round of the leader's (a few a second), which would spend the
/// small limits of X's reads (`users/me`: 25 a day on the free tier) in seconds; from the
/// fifth on, doubling as a post's backoff does, to ten minutes or so. Through an outage of
/// hours, an entry waiting to be deleted or reconciled asks a few times an hour, not 120.
fn recheck(attempts: i32) -> DateTime<Utc> {
    let after = backoff(attempts, RECHECK_AT_LEAST);
    Utc::now() + chrono::Duration::from_std(after).expect("minutes")
}

/// The shortest wait of [`recheck`], in seconds (before its jitter).
const RECHECK_AT_LEAST: f64 = 30.0;

/// When to look the account's tweets up again, and why not now, after a lookup that failed
/// for a while, the entry's `attempts`-th ([`LookupFailed::Refused`] is not asked again).
fn ask_again(e: LookupFailed, attempts: i32) -> (DateTime<Utc>, String) {
    match e {
        LookupFailed::Limited(Limited { until, why }) => (until, format!("rate limited: {why}")),
        // (Neither a refusal nor a 401 is asked again; they come here only by mistake.)
        LookupFailed::Refused(why)
        | LookupFailed::Unauthorized(why)
        | LookupFailed::Failed(why) => (recheck(attempts), why),
    }
}

/// A moment as the outbox's reasons say it, to the second, in UTC (X's resets are whole
/// seconds).
fn said(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Exponential backoff with jitter: about 2, 4, 8 … seconds, at least `at_least`, at most
/// ten minutes.
fn backoff(attempts: i32, at_least: f64) -> Duration {
    let base = 2f64.powi(attempts.clamp(1, 10)).clamp(at_least, 600.0);
    Duration::from_secs_f64(base * rand::rng().random_range(0.5..1.5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use lately_domain::event::{Finished, ItemAdded, Removed};
    use lately_domain::{MediaKind, Title};
    use lately_log::{LogOptions, Payload};

    /// A lookup or deletion X keeps failing is asked again after half a minute or so at
    /// first, then, from the fifth time, after twice as long each time, to ten minutes or so.
    #[test]
    fn failures_x_gives_no_time_for_are_asked_again_later_and_later() {
        let within = |attempts: i32, low: u64, high: u64| {
            for _ in 0..50 {
                let after = backoff(attempts, RECHECK_AT_LEAST).as_secs_f64();
                assert!(
                    (low as f64..=high as f64).contains(&after),
                    "attempt {attempts}: {after} s"
                );
            }
        };
        for attempts in [0, 1, 2, 4] {
            within(attempts, 15, 45);
        }
        within(5, 16, 48);
        within(7, 64, 192);
        within(9, 256, 768);
        for attempts in [10, 11, 1000] {
            within(attempts, 300, 900);
        }
    }

    /// A log on a fresh database: a book added, finished and removed; a dry-run worker over
    /// it, starting at the beginning with no grace delay; and the events, to project.
    async fn removed_after_its_finish() -> (Worker, Vec<RecordedEvent>) {
        let url = lately_testkit::postgres_database().await;
        let log = EventLog::connect(&url, LogOptions::default()).unwrap();
        log.migrate().await.unwrap();
        let now = Utc::now();
        let events = [
            ItemEvent::Added(ItemAdded {
                kind: MediaKind::Book,
                title: Title::parse("Regretted").unwrap(),
                creators: vec![],
                url: None,
                cover_url: None,
                tags: vec![],
                visibility: Visibility::Public,
                at: now,
            }),
            ItemEvent::Finished(Finished {
                at: now,
                rating: None,
                review: None,
                tweet: true,
                listened: false,
            }),
            ItemEvent::Removed(Removed { at: now }),
        ];
        let recorded: Vec<RecordedEvent> = events
            .iter()
            .zip(1..)
            .map(|(e, n)| {
                let stored = e.encode();
                RecordedEvent {
                    position: n,
                    stream_id: "regretted".into(),
                    stream_version: n,
                    event_id: uuid::Uuid::now_v7(),
                    event_type: stored.event_type.into(),
                    schema_version: stored.schema_version,
                    data: Payload::from_json(stored.data.to_string()).unwrap(),
                    metadata: serde_json::json!({}),
                    recorded_at: now,
                }
            })
            .collect();
        log.restore(&recorded).await.unwrap();
        let config = Config::parse_from([
            "lately-notifier",
            "--database-url",
            &url,
            "--start",
            "beginning",
            "--delay",
            "0s",
        ]);
        let worker = Worker {
            config,
            store: Store::new(&log),
            log,
            x: None,
            covers: None,
            shared: Arc::new(Shared::default()),
        };
        (worker, recorded)
    }

    fn projection_of(events: &[RecordedEvent]) -> Projection {
        let mut p = Projection::new();
        apply(&mut p, events);
        p
    }

    /// A leader that takes over from one further along (the checkpoint past a removal that
    /// was scanned while the removed item's finish was pending) posts nothing, and deletes
    /// nothing, until its projection has the removal too: judged before, the finish would go
    /// out and its tweet never be deleted (as a chaos run once found: a removed book's tweet
    /// left standing). Then the finish is skipped. In a dry run, where "posted" is `dry_run`.
    #[tokio::test]
    async fn nothing_is_judged_on_a_projection_behind_the_scan() {
        let (worker, events) = removed_after_its_finish().await;
        let projection_of = |n: usize| projection_of(&events[..n]);
        // The leader before: it scanned all three; the finish's entry was pending then.
        let whole = projection_of(3);
        assert_eq!(worker.scan(&whole, 0).await.unwrap(), 3);
        // This one has not applied the removal yet.
        worker.lead(&projection_of(2), 0).await.unwrap();
        let entry = worker.store.entry(2).await.unwrap().unwrap();
        assert_eq!(entry.status, "pending", "{entry:?}");
        worker.lead(&whole, 0).await.unwrap();
        let entry = worker.store.entry(2).await.unwrap().unwrap();
        assert_eq!(entry.status, "skipped", "{entry:?}");
    }

    /// A removal scanned while another leader (one that lost its lock mid-post) is posting
    /// the finish: nothing is on the account to delete yet, so the entry is flagged, and the
    /// post that then succeeds is recorded as to be deleted, not as posted — the scan has
    /// moved past the removal and will not meet it again.
    #[tokio::test]
    async fn a_post_that_lands_after_its_items_removal_was_scanned_is_deleted() {
        let (worker, events) = removed_after_its_finish().await;
        // The finish scanned, then claimed for posting (by the leader before).
        assert_eq!(
            worker.scan(&projection_of(&events[..2]), 0).await.unwrap(),
            2
        );
        assert!(worker
            .store
            .claim(2, "Finished reading “Regretted”", now_ms())
            .await
            .unwrap());
        // This leader scans the removal while that post is in flight; then the post lands.
        assert_eq!(worker.scan(&projection_of(&events), 0).await.unwrap(), 3);
        worker
            .store
            .settle_posted(2, Some("1001"), None, now_ms())
            .await
            .unwrap();
        let entry = worker.store.entry(2).await.unwrap().unwrap();
        assert_eq!(
            (entry.status.as_str(), entry.tweet_id.as_deref()),
            ("deleting", Some("1001")),
            "{entry:?}"
        );
        // A flag is for the post in flight: one that went back to pending (and is judged
        // again when it comes due: the item restored, say) is claimed afresh unflagged.
        let store = &worker.store;
        let claim = || store.claim(2, "Finished reading “Regretted”", now_ms());
        let pending = store.settle(2, "pending", None, None, None, now_ms());
        pending.await.unwrap();
        assert!(claim().await.unwrap());
        let why = "the item was removed";
        store
            .mark_item_deleting("regretted", why, now_ms())
            .await
            .unwrap();
        store
            .retry(2, now_ms(), "no answer", now_ms())
            .await
            .unwrap();
        assert!(claim().await.unwrap());
        store
            .settle_posted(2, Some("1002"), None, now_ms())
            .await
            .unwrap();
        let entry = store.entry(2).await.unwrap().unwrap();
        assert_eq!(entry.status, "posted", "{entry:?}");
    }
}
