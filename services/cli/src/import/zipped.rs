//! An export as it is downloaded: Letterboxd's comes as a zip of CSV files (`diary.csv`,
//! `watched.csv`, `reviews.csv`, `watchlist.csv`, and folders of lists and deleted entries),
//! which `lately import letterboxd` reads as it is, without unzipping it first.

use std::io::{Cursor, Read};

use crate::client::CliError;

/// Whether `bytes` are a zip archive (its local file header's signature).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// A zip archive's files, read by name.
pub struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// The archive's own name, to say where a file was read from.
    shown: String,
}

impl<'a> Archive<'a> {
    pub fn open(bytes: &'a [u8], shown: String) -> Result<Self, CliError> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| CliError::Usage(format!("cannot read {shown} as a zip archive: {e}")))?;
        Ok(Self { zip, shown })
    }

    /// The text of the file named `name` nearest the archive's top (`diary.csv` rather than
    /// `deleted/diary.csv`, the entries deleted since; `letterboxd-ann/diary.csv` when it was
    /// zipped again in a folder), or `None` if there is none.
    pub fn text(&mut self, name: &str) -> Result<Option<String>, CliError> {
        let suffix = format!("/{name}");
        let found = self
            .zip
            .file_names()
            .filter_map(Result::ok)
            .filter(|f| f.eq_ignore_ascii_case(name) || f.to_ascii_lowercase().ends_with(&suffix))
            .min_by_key(|f| (f.matches('/').count(), f.to_string()))
            .map(|f| f.into_owned());
        let Some(found) = found else {
            return Ok(None);
        };
        let mut text = String::new();
        self.zip
            .by_name(&found)
            .map_err(|e| e.to_string())
            .and_then(|mut f| f.read_to_string(&mut text).map_err(|e| e.to_string()))
            .map_err(|e| CliError::Usage(format!("cannot read {found} in {}: {e}", self.shown)))?;
        Ok(Some(text.trim_start_matches('\u{feff}').to_owned()))
    }

    /// Where `name` was read from, as said to the user: "diary.csv in letterboxd-ann.zip".
    pub fn said(&self, name: &str) -> String {
        format!("{name} in {}", self.shown)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zipped(files: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in files {
            zip.start_file(*name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_file_is_read_from_nearest_the_top_of_the_archive() {
        let bytes = zipped(&[
            ("deleted/diary.csv", "deleted"),
            ("diary.csv", "\u{feff}the diary"),
            ("lists/diary.csv", "a list named diary"),
        ]);
        assert!(is_zip(&bytes));
        let mut archive = Archive::open(&bytes, "export.zip".into()).unwrap();
        // Its byte order mark gone, as a CSV file's is.
        assert_eq!(
            archive.text("diary.csv").unwrap().as_deref(),
            Some("the diary")
        );
        assert_eq!(archive.text("reviews.csv").unwrap(), None);
        assert_eq!(archive.said("diary.csv"), "diary.csv in export.zip");

        // Zipped again in a folder of its own: found there, not among the deleted entries.
        let bytes = zipped(&[
            ("letterboxd-ann/deleted/reviews.csv", "deleted"),
            ("letterboxd-ann/Reviews.csv", "the reviews"),
        ]);
        let mut archive = Archive::open(&bytes, "export.zip".into()).unwrap();
        assert_eq!(
            archive.text("reviews.csv").unwrap().as_deref(),
            Some("the reviews")
        );
    }

    #[test]
    fn what_is_not_a_zip_archive_is_said_so() {
        assert!(!is_zip(b"Date,Name,Year\n"));
        let err = Archive::open(b"PK\x03\x04 and nothing else", "broken.zip".into())
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .starts_with("cannot read broken.zip as a zip archive: "),
            "{err}"
        );
    }
}
