//! The OpenAPI document against the domain: where a field's schema and its parser disagree, a
//! client generated from the document sends what the writer refuses (or the fuzzing of
//! `scripts/fuzz-api` reports an invalid request accepted). The length bounds are the
//! schemas' `maxLength`; what is checked here is everything else a text field's pattern says:
//! trimmed of white space, not empty, no control characters (but tabs and line breaks in a
//! review).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use lately_domain::{Creator, Review, Tag, Title};
use proptest::prelude::*;
use regex::Regex;
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
            Regex::new(raw).unwrap()
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
