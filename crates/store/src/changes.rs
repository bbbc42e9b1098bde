//! Which licenses changed, so a node may answer License API reads from memory and still never serve a
//! license as it was before a committed change.
//!
//! Every write that changes what a check reads is recorded by the database itself (triggers; see the
//! `0002_license_changes` migrations), whoever wrote it: this node, the CLI, another node. A reader takes
//! a [`Stamp`] before it reads a license from the database; what it read stays current while
//! [`LicenseChanges::is_current`] says so, which it does until a change to that license committed after
//! the stamp becomes known here.
//!
//! - SQLite: before each use, [`LicenseChanges::catch_up`] asks SQLite whether any connection committed
//!   since the last look (`PRAGMA data_version`, a few microseconds on a dedicated connection) and, if
//!   so, reads the new rows of the `license_changes` log. Nothing stale is ever served.
//! - PostgreSQL: a listener receives the triggers' notifications. Each node also sends itself a tick
//!   every [`TICK_INTERVAL`]; notifications arrive in commit order, so once a tick sent at time T has
//!   arrived, every change committed before T is known. Cached reads are used only while the newest
//!   tick received was sent less than [`STALENESS_BOUND`] ago, and not at all while the listener is
//!   disconnected: a change committed on another node is served stale for at most that bound.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use latch_domain::LicenseId;

/// How often a PostgreSQL node sends itself a tick through the notification channel.
pub const TICK_INTERVAL: Duration = Duration::from_millis(100);
/// The longest a PostgreSQL node serves reads cached before a change committed on another node.
pub const STALENESS_BOUND: Duration = Duration::from_millis(500);
/// How long a license's change is remembered: longer than any read can take, so a read stamped before
/// the change is still recognised as older when it completes.
const REMEMBERED_FOR: Duration = Duration::from_secs(120);

/// The point in the change stream a read was made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(u64);

/// The change stream as this node knows it.
#[async_trait::async_trait]
pub trait LicenseChanges: Send + Sync {
    /// Returns once every change committed before the call is known here: a node calls it after its
    /// own writes, so its next answers show them.
    async fn barrier(&self);
    /// Learns of changes committed since the last call, where the backend needs asking (SQLite).
    fn catch_up(&self);
    /// A stamp for a read about to start, or `None` when changes cannot be tracked right now (cached
    /// reads must not be used).
    fn stamp(&self) -> Option<Stamp>;
    /// Whether a read of `license_id` stamped `stamp` still shows the license as it is.
    fn is_current(&self, license_id: LicenseId, stamp: Stamp) -> bool;
}

/// Changes known so far: a counter and the last change of each recently changed license.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    state: Mutex<LogState>,
}

#[derive(Debug, Default)]
struct LogState {
    counter: u64,
    changed: HashMap<LicenseId, (u64, Instant)>,
    /// Every read stamped at or before this is stale (a gap in the stream was detected).
    forgotten_before: u64,
    pruned_at: Option<Instant>,
}

impl ChangeLog {
    pub(crate) fn record(&self, licenses: impl IntoIterator<Item = LicenseId>, now: Instant) {
        let mut state = self.state.lock().expect("change log lock");
        for license_id in licenses {
            state.counter += 1;
            let counter = state.counter;
            state.changed.insert(license_id, (counter, now));
        }
        let prune_due = state
            .pruned_at
            .is_none_or(|at| now.duration_since(at) >= REMEMBERED_FOR);
        if prune_due {
            state
                .changed
                .retain(|_, (_, at)| now.duration_since(*at) < REMEMBERED_FOR);
            state.pruned_at = Some(now);
        }
    }

    /// Makes every earlier read stale: changes may have been missed.
    pub(crate) fn forget_all(&self) {
        let mut state = self.state.lock().expect("change log lock");
        state.counter += 1;
        state.forgotten_before = state.counter;
    }

    pub(crate) fn stamp(&self) -> Stamp {
        Stamp(self.state.lock().expect("change log lock").counter)
    }

    pub(crate) fn is_current(&self, license_id: LicenseId, stamp: Stamp) -> bool {
        let state = self.state.lock().expect("change log lock");
        stamp.0 >= state.forgotten_before
            && state
                .changed
                .get(&license_id)
                .is_none_or(|(changed, _)| *changed <= stamp.0)
    }
}

/// PostgreSQL's view: the change log fed by the listener, valid while ticks keep arriving.
pub(crate) struct NotifiedChanges {
    pub(crate) log: ChangeLog,
    /// When the newest tick received was sent; `None` while the listener is not connected.
    newest_tick: tokio::sync::watch::Sender<Option<Instant>>,
    /// Sends a tick through the channel, stamped with the time it is sent.
    ticker: Box<dyn Ticker>,
}

/// Sends this node a tick through the notification channel.
#[async_trait::async_trait]
pub(crate) trait Ticker: Send + Sync {
    async fn send_tick(&self, sent_at: Instant);
}

impl NotifiedChanges {
    pub(crate) fn new(ticker: Box<dyn Ticker>) -> Self {
        Self {
            log: ChangeLog::default(),
            newest_tick: tokio::sync::watch::Sender::new(None),
            ticker,
        }
    }

    pub(crate) fn tick_received(&self, sent_at: Instant) {
        self.newest_tick.send_if_modified(|newest| {
            let newer = newest.is_none_or(|newest| sent_at > newest);
            if newer {
                *newest = Some(sent_at);
            }
            newer
        });
    }

    pub(crate) async fn send_tick(&self) {
        self.ticker.send_tick(Instant::now()).await;
    }

    /// The listener lost its connection: notifications may be lost until it is back.
    pub(crate) fn disconnected(&self) {
        self.newest_tick.send_replace(None);
        self.log.forget_all();
    }

    fn trusted(&self, now: Instant) -> bool {
        self.newest_tick
            .borrow()
            .is_some_and(|sent| now.duration_since(sent) < STALENESS_BOUND)
    }
}

#[async_trait::async_trait]
impl LicenseChanges for NotifiedChanges {
    async fn barrier(&self) {
        let sent_at = Instant::now();
        self.ticker.send_tick(sent_at).await;
        let mut newest = self.newest_tick.subscribe();
        // Bounded: if the tick is lost, cached answers stop being trusted within the staleness bound.
        let _ = tokio::time::timeout(
            STALENESS_BOUND,
            newest.wait_for(|newest| newest.is_some_and(|newest| newest >= sent_at)),
        )
        .await;
    }

    fn catch_up(&self) {}

    fn stamp(&self) -> Option<Stamp> {
        self.trusted(Instant::now()).then(|| self.log.stamp())
    }

    fn is_current(&self, license_id: LicenseId, stamp: Stamp) -> bool {
        self.trusted(Instant::now()) && self.log.is_current(license_id, stamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_current_until_its_license_changes_after_the_stamp() {
        let log = ChangeLog::default();
        let now = Instant::now();
        log.record([LicenseId::new(1)], now);
        let stamp = log.stamp();
        assert!(
            log.is_current(LicenseId::new(1), stamp),
            "changed before the read"
        );
        assert!(log.is_current(LicenseId::new(2), stamp));
        log.record([LicenseId::new(2)], now);
        assert!(log.is_current(LicenseId::new(1), stamp));
        assert!(
            !log.is_current(LicenseId::new(2), stamp),
            "changed after the read"
        );
        assert!(
            log.is_current(LicenseId::new(2), log.stamp()),
            "a new read sees it"
        );
    }

    #[test]
    fn forgetting_makes_every_earlier_read_stale() {
        let log = ChangeLog::default();
        let before = log.stamp();
        log.forget_all();
        assert!(!log.is_current(LicenseId::new(7), before));
        assert!(log.is_current(LicenseId::new(7), log.stamp()));
    }

    #[test]
    fn old_changes_are_pruned_but_reads_older_than_them_cannot_exist() {
        let log = ChangeLog::default();
        let start = Instant::now();
        log.record([LicenseId::new(1)], start);
        log.record(
            [LicenseId::new(2)],
            start + REMEMBERED_FOR + Duration::from_secs(1),
        );
        let state = log.state.lock().unwrap();
        assert!(!state.changed.contains_key(&LicenseId::new(1)));
        assert!(state.changed.contains_key(&LicenseId::new(2)));
    }

    struct SilentTicker;

    #[async_trait::async_trait]
    impl Ticker for SilentTicker {
        async fn send_tick(&self, _: Instant) {}
    }

    #[test]
    fn postgres_reads_are_trusted_only_while_ticks_are_recent() {
        let changes = NotifiedChanges::new(Box::new(SilentTicker));
        assert_eq!(changes.stamp(), None, "no tick yet");
        changes.tick_received(Instant::now());
        let stamp = changes.stamp().expect("a fresh tick");
        assert!(changes.is_current(LicenseId::new(3), stamp));
        changes.log.record([LicenseId::new(3)], Instant::now());
        assert!(!changes.is_current(LicenseId::new(3), stamp));
        changes.disconnected();
        assert_eq!(changes.stamp(), None);
        let now = Instant::now();
        assert!(!changes.trusted(now));
        changes.tick_received(now);
        assert!(changes.trusted(now + STALENESS_BOUND / 2));
        assert!(!changes.trusted(now + STALENESS_BOUND));
    }
}
