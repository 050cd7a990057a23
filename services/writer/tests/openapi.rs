//! The OpenAPI document against the domain: where a field's schema and its parser disagree, a
//! client generated from the document sends what the writer refuses, or the fuzzing of
//! `scripts/fuzz-api` reports an invalid request accepted. A text field's rule is all in its
//! pattern: its length counts once it is trimmed of white space, which `maxLength` (counting
//! the raw string) cannot say, so the bound is in the pattern too.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use lately_domain::{Creator, Review, Tag, Title, Url};
use proptest::prelude::*;
use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// The pattern at `pointer` in the document, compiled once.
fn pattern(pointer: &str) -> Regex {
    static DOC: LazyLock<Value> =
        LazyLock::new(|| serde_json::from_str(include_str!("../openapi.json")).unwrap());
    static COMPILED: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(Default::default);
    let mut compiled = COMPILED.lock().unwrap();
    compiled
        .entry(pointer.to_owned())
        .or_insert_with(|| {
            let raw = DOC
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no pattern at {pointer}"));
            // The review's bound unrolls into a large automaton: allow it room.
            RegexBuilder::new(raw).size_limit(1 << 30).build().unwrap()
        })
        .clone()
}

/// Short strings of the characters where trimming and the control-character rule meet: white
/// space that is and is not a control character, control characters that are not white space,
/// and ordinary text in one, two, three and four UTF-8 bytes.
fn text() -> impl Strategy<Value = String> {
    let alphabet = vec![
        'a', 'Z', '7', ' ', '\t', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{A0}', '\u{2028}',
        '\u{3000}', '\u{0}', '\u{1C}', '\u{1F}', '\u{7F}', '\u{9F}', 'é', '漢', '😀',
    ];
    proptest::collection::vec(proptest::sample::select(alphabet), 0..7)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Strings shaped like what people paste as links: the schemes the URL standard reads as http
/// (any case, with one slash, a backslash or none), others, and a host and a path of awkward
/// characters, sometimes padded.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = proptest::sample::select(vec![
        "http://",
        "https://",
        "HTTP://",
        "Https:",
        "http:/",
        "http:\\\\",
        "https:///",
        "ftp://",
        "javascript:",
        "",
    ]);
    let padding = proptest::sample::select(vec!["", " ", "\t\n", "\u{3000}"]);
    let path = proptest::collection::vec(
        proptest::sample::select(vec![
            'a', '/', '.', '%', '?', '#', ' ', '\t', '\u{7}', '\u{9F}', '\u{A0}', 'é', '漢', '\\',
        ]),
        0..8,
    );
    (
        padding.clone(),
        scheme,
        "[a-z]{0,6}(\\.[a-z]{2})?",
        path,
        padding,
    )
        .prop_map(|(before, scheme, host, path, after)| {
            format!(
                "{before}{scheme}{host}/{}{after}",
                path.into_iter().collect::<String>()
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn single_line_patterns_accept_what_the_domain_accepts(s in text()) {
        for schema in ["AddItem", "Edit"] {
            let base = format!("/components/schemas/{schema}/properties");
            let cases: [(&str, bool); 3] = [
                ("title/pattern", Title::parse(&s).is_ok()),
                ("creators/items/pattern", Creator::parse(&s).is_ok()),
                ("tags/items/pattern", Tag::parse(&s).is_ok()),
            ];
            for (field, parses) in cases {
                let re = pattern(&format!("{base}/{field}"));
                prop_assert_eq!(re.is_match(&s), parses, "{} {}: {:?}", schema, field, s);
            }
        }
    }

    /// A URL's pattern cannot say what a valid URL is; it must admit every one the writer
    /// accepts (or fuzzing reports a valid request refused by the document) and refuse what
    /// no URL the writer accepts looks like.
    #[test]
    fn url_patterns_admit_every_url_the_domain_accepts(s in url_like()) {
        for field in ["AddItem/properties/url", "Edit/properties/cover_url"] {
            let re = pattern(&format!("/components/schemas/{field}/pattern"));
            if Url::parse(&s).is_ok() {
                prop_assert!(re.is_match(&s), "{}: {:?}", field, s);
            }
        }
    }

    #[test]
    fn the_review_pattern_accepts_what_the_domain_accepts(s in text()) {
        let re = pattern("/components/schemas/Finish/properties/review/pattern");
        prop_assert_eq!(re.is_match(&s), Review::parse(&s).is_ok(), "{:?}", s);
    }
}

#[test]
fn the_length_bounds_count_the_trimmed_text() {
    type Parses = fn(&str) -> bool;
    let cases: [(&str, usize, Parses); 4] = [
        ("AddItem/properties/title", 300, |s| Title::parse(s).is_ok()),
        ("AddItem/properties/creators/items", 200, |s| {
            Creator::parse(s).is_ok()
        }),
        ("Edit/properties/tags/items", 50, |s| Tag::parse(s).is_ok()),
        ("Finish/properties/review", 10_000, |s| {
            Review::parse(s).is_ok()
        }),
    ];
    for (field, max, parses) in cases {
        let re = pattern(&format!("/components/schemas/{field}/pattern"));
        for len in [1, 2, max - 1, max, max + 1] {
            for padding in ["", " \t", "\u{3000}\n"] {
                let s = format!("{padding}{}{padding}", "é".repeat(len));
                assert_eq!(
                    re.is_match(&s),
                    parses(&s),
                    "{field}: {len} characters padded with {padding:?}"
                );
                assert_eq!(parses(&s), len <= max, "{field}: {len}");
            }
        }
    }
}

#[test]
fn the_patterns_tell_the_cases_apart() {
    let title = pattern("/components/schemas/AddItem/properties/title/pattern");
    let review = pattern("/components/schemas/Finish/properties/review/pattern");
    for ok in ["Piranesi", " padded\t\n", "\u{85}x\u{3000}", "a b"] {
        assert!(title.is_match(ok), "{ok:?}");
    }
    for refused in ["", " \t ", "a\u{1F}b", "a\nb", "\u{7F}", "x\u{9F}"] {
        assert!(!title.is_match(refused), "{refused:?}");
    }
    assert!(review.is_match("line one\nline two\tand a tab"));
    assert!(!review.is_match("bell\u{7}"));
}

#[test]
fn the_url_patterns_bound_the_trimmed_length_and_refuse_what_is_never_a_url() {
    let re = pattern("/components/schemas/AddItem/properties/url/pattern");
    let long = |n: usize| format!("https://example.com/{}", "a".repeat(n - 20));
    // (text, the writer accepts it, the pattern admits it)
    for (s, domain, admitted) in [
        (long(2048), true, true),
        (format!(" \t{}\u{3000}", long(2048)), true, true),
        (long(2049), false, false),
        ("HTTPS://Example.com".into(), true, true),
        ("http:example.com".into(), true, true),
        ("ftp://example.com".into(), false, false),
        ("javascript:alert(1)".into(), false, false),
        ("https://example.com/\u{7}".into(), false, false),
        // No host: only the URL standard can tell.
        ("https://".into(), false, true),
    ] {
        assert_eq!(Url::parse(&s).is_ok(), domain, "the domain on {s:?}");
        assert_eq!(re.is_match(&s), admitted, "the pattern on {s:?}");
    }
}
