//! A book's cover by its ISBN. A book added from the terminal (or put right later) gets its
//! picture from the number on its back, `--cover 978-0-441-17271-9`, without a link to copy:
//! the cover is Open Library's for that ISBN, as the imports' `--covers` take it. Nothing is
//! fetched here; the pages load the picture.
//!
//! An ISBN carries a check digit, so a digit mistyped is an error that says so, not a blank
//! picture on your page.
//!
//! A book may also be added by its ISBN alone, `lately add book 978-0-441-17271-9`: [`in_title`]
//! tells one, and Open Library names the book (`open_library::by_isbn`).

use crate::open_library::isbn_cover;

/// What `--cover` takes: a picture's link, as it is (the writer says what is wrong with one),
/// or an ISBN — 10 or 13 digits, hyphens and spaces aside, the last of ten may be `X` — as
/// its cover on Open Library. Digits that are no ISBN are refused with the reason.
pub fn cover(arg: &str) -> Result<String, String> {
    Ok(parse(arg)?.map_or_else(|| arg.to_owned(), |isbn| isbn_cover(&isbn)))
}

/// The ISBN a book's "title" is, when it is one: 10 or 13 digits (hyphens and spaces aside,
/// the last of ten may be `X`) that make their check digit. Other digits are a title ("1984",
/// "2001"); 10 or 13 of them that miss their check digit are a mistyped ISBN, refused.
pub fn in_title(title: &str) -> Result<Option<String>, String> {
    let compact = compact(title);
    if !matches!(compact.len(), 10 | 13) || !digits(&compact) {
        return Ok(None);
    }
    parse(title)
}

/// Hyphens and spaces aside, in capitals.
fn compact(arg: &str) -> String {
    arg.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn digits(compact: &str) -> bool {
    !compact.is_empty() && compact.chars().all(|c| c.is_ascii_digit() || c == 'X')
}

/// The ISBN `arg` is, compact; none when it is not digits at all; an error saying why for
/// digits that are no ISBN.
fn parse(arg: &str) -> Result<Option<String>, String> {
    let compact = compact(arg);
    if !digits(&compact) {
        return Ok(None);
    }
    let isbn = compact.as_str();
    let expected = match check_digit(isbn) {
        Some(digit) => digit,
        None if matches!(isbn.len(), 10 | 13) => {
            return Err(format!(
                "“{arg}” is not an ISBN: an X may only be the last of ten digits"
            ))
        }
        None => {
            return Err(format!(
                "“{arg}” is not an ISBN: an ISBN has 10 or 13 digits, this has {}",
                isbn.len()
            ))
        }
    };
    match isbn.chars().last() {
        Some(last) if last == expected => Ok(Some(compact.clone())),
        Some(last) => Err(format!(
            "“{arg}” is not an ISBN: its check digit is {last}, where the digits before it \
             make {expected} (a digit mistyped?)"
        )),
        None => unreachable!("not empty"),
    }
}

/// The check digit that the digits before it call for, if `isbn` is the length of one and
/// only the last of ten is an `X`.
fn check_digit(isbn: &str) -> Option<char> {
    if isbn.len() == 13 && isbn.ends_with('X') {
        return None;
    }
    let body: Vec<u32> = isbn[..isbn.len().checked_sub(1)?]
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    match body.len() {
        // ISBN-13: weights 1, 3, 1, 3, …; the check digit makes the sum a multiple of 10.
        12 => {
            let sum: u32 = body
                .iter()
                .enumerate()
                .map(|(i, d)| d * if i % 2 == 0 { 1 } else { 3 })
                .sum();
            char::from_digit((10 - sum % 10) % 10, 10)
        }
        // ISBN-10: weights 10 down to 2; the check digit (X for ten) makes it a multiple of 11.
        9 => {
            let sum: u32 = body.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
            match (11 - sum % 11) % 11 {
                10 => Some('X'),
                d => char::from_digit(d, 10),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_isbn_is_its_cover_on_open_library() {
        for (given, isbn) in [
            ("9780441172719", "9780441172719"),
            ("978-0-441-17271-9", "9780441172719"),
            ("978 0 441 17271 9", "9780441172719"),
            ("0441172717", "0441172717"),
            // Ten digits whose check is ten: an X, either case.
            ("0-8044-2957-X", "080442957X"),
            ("080442957x", "080442957X"),
        ] {
            assert_eq!(cover(given).unwrap(), isbn_cover(isbn), "{given}");
        }
    }

    #[test]
    fn a_title_is_an_isbn_only_when_it_makes_its_check_digit() {
        assert_eq!(
            in_title("978-0-441-17271-9"),
            Ok(Some("9780441172719".to_owned()))
        );
        assert_eq!(in_title("080442957x"), Ok(Some("080442957X".to_owned())));
        for title in ["1984", "2001", "Dune", "978 Ways", "97804411727"] {
            assert_eq!(in_title(title), Ok(None), "{title}");
        }
        assert!(in_title("9780441172718")
            .unwrap_err()
            .contains("its check digit is 8"));
    }

    #[test]
    fn a_link_is_taken_as_it_is() {
        for link in [
            "https://example.com/dune.jpg",
            "http://example.com/9780441172719.jpg",
            "not a link at all",
        ] {
            assert_eq!(cover(link).unwrap(), link);
        }
    }

    #[test]
    fn digits_that_are_no_isbn_say_why() {
        assert_eq!(
            cover("9780441172718").unwrap_err(),
            "“9780441172718” is not an ISBN: its check digit is 8, where the digits before \
             it make 9 (a digit mistyped?)"
        );
        assert_eq!(
            cover("0-8044-2957-1").unwrap_err(),
            "“0-8044-2957-1” is not an ISBN: its check digit is 1, where the digits before \
             it make X (a digit mistyped?)"
        );
        for (wrong, why) in [
            ("97804411727", "an ISBN has 10 or 13 digits, this has 11"),
            ("12345", "an ISBN has 10 or 13 digits, this has 5"),
            ("X", "an ISBN has 10 or 13 digits, this has 1"),
            ("97804411727X9", "an X may only be the last of ten digits"),
            ("X441172717", "an X may only be the last of ten digits"),
            ("978044117271X", "an X may only be the last of ten digits"),
        ] {
            assert_eq!(
                cover(wrong).unwrap_err(),
                format!("“{wrong}” is not an ISBN: {why}")
            );
        }
    }
}
