//! Where this user's last write landed, so that their next read shows it.
//!
//! Every write answers with its log position, and a reader asked for `Lately-Min-Position: P`
//! waits until it has applied P. Within one process that is easy; across commands
//! (`lately finish …`, then `lately list`) the position has to outlive the process, or the
//! list comes from a replica that has not applied the finish yet — on the SQLite log, which
//! replicas poll, it usually has not. So the position is kept in a small file, per pair of
//! writer and feed URLs: a position means something only in the log it came from.
//!
//! Best effort throughout. Without a state directory, or one that cannot be written, reads
//! simply do not wait; a broken file reads as empty. The file is replaced by a rename, so a
//! reader of it never sees half of one; two commands saving at the same moment may keep the
//! lower of their positions, which costs a read its wait and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FILE: &str = "last-writes.json";

pub struct LastWrite {
    path: Option<PathBuf>,
    key: String,
}

impl LastWrite {
    /// The memory for one writer and feed, in `dir` (`None`: remember nothing).
    pub fn new(dir: Option<PathBuf>, writer: &str, feed: &str) -> Self {
        Self {
            path: dir.map(|d| d.join(FILE)),
            key: format!(
                "{} {}",
                writer.trim_end_matches('/'),
                feed.trim_end_matches('/')
            ),
        }
    }

    /// `LATELY_STATE_DIR`, else the platform's state directory (`$XDG_STATE_HOME`,
    /// `~/.local/state`) or cache directory, under `lately/`.
    pub fn default_dir() -> Option<PathBuf> {
        match std::env::var_os("LATELY_STATE_DIR") {
            Some(dir) if !dir.is_empty() => Some(dir.into()),
            _ => dirs::state_dir()
                .or_else(dirs::cache_dir)
                .map(|d| d.join("lately")),
        }
    }

    /// The position of the last write remembered for this writer and feed.
    pub fn load(&self) -> Option<i64> {
        let path = self.path.as_deref()?;
        read(path).get(&self.key).copied().filter(|p| *p > 0)
    }

    /// Remembers a write at `position`, unless a later one is remembered already.
    pub fn save(&self, position: i64) {
        self.update(|known| {
            if known.get(&self.key).is_none_or(|p| *p < position) {
                known.insert(self.key.clone(), position);
            }
        });
    }

    /// Forgets `position`: the feed's log does not have it (the log was reset, or the URLs
    /// now point at another system).
    pub fn forget(&self, position: i64) {
        self.update(|known| {
            if known.get(&self.key) == Some(&position) {
                known.remove(&self.key);
            }
        });
    }

    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, i64>)) {
        let Some(path) = self.path.as_deref() else {
            return;
        };
        let mut known = read(path);
        change(&mut known);
        // Nothing to do about a failure here: the write itself has succeeded.
        let _ = write(path, &known);
    }
}

fn read(path: &Path) -> BTreeMap<String, i64> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write(path: &Path, known: &BTreeMap<String, i64>) -> std::io::Result<()> {
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".{FILE}.{}", std::process::id()));
    std::fs::write(&temp, serde_json::to_vec_pretty(known)?)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_latest_position_per_writer_and_feed() {
        let dir = tempfile::tempdir().unwrap();
        let here = LastWrite::new(Some(dir.path().into()), "http://w:1", "http://f:1");
        let there = LastWrite::new(Some(dir.path().into()), "http://w:2", "http://f:2");
        assert_eq!(here.load(), None);
        here.save(7);
        here.save(5);
        there.save(3);
        assert_eq!(
            here.load(),
            Some(7),
            "a lower position replaced a later one"
        );
        assert_eq!(there.load(), Some(3));
        here.forget(6);
        assert_eq!(
            here.load(),
            Some(7),
            "forgot a position it was not asked to"
        );
        here.forget(7);
        assert_eq!(here.load(), None);
        assert_eq!(there.load(), Some(3));
    }

    #[test]
    fn a_broken_or_missing_file_or_directory_is_no_memory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{ not json").unwrap();
        let memory = LastWrite::new(Some(dir.path().into()), "w", "f");
        assert_eq!(memory.load(), None);
        memory.save(4);
        assert_eq!(memory.load(), Some(4), "a broken file was not replaced");

        let nowhere = LastWrite::new(None, "w", "f");
        nowhere.save(4);
        assert_eq!(nowhere.load(), None);
        // A "directory" that is a file: saving fails quietly.
        let blocked = LastWrite::new(Some(dir.path().join(FILE)), "w", "f");
        blocked.save(4);
        assert_eq!(blocked.load(), None);
    }
}
