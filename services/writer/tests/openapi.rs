//! The OpenAPI document against the domain: where a field's schema and its parser disagree, a
//! client generated from the document sends what the writer refuses, or the fuzzing of
//! `scripts/fuzz-api` reports an invalid request accepted. A text field's rule is all in its
//! pattern: its length counts once it is trimmed of white space, which `maxLength` (counting
//! the raw string) cannot say, so the bound is in the pattern too.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use lately_domain::{Creator, Review, Tag, Title};
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
