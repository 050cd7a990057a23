//! Any stored payload, of any type and schema version: decoding never panics, and what decodes
//! encodes to a payload that decodes to the same event (readers and the notifier rely on both).
#![no_main]

use lately_domain::ItemEvent;
use libfuzzer_sys::fuzz_target;

const TYPES: [&str; 8] = [
    "item_added",
    "item_started",
    "item_progress_logged",
    "item_finished",
    "item_abandoned",
    "item_edited",
    "item_removed",
    "item_unknown",
];

fuzz_target!(|input: (u8, u8, &[u8])| {
    let (kind, version, json) = input;
    let event_type = TYPES[usize::from(kind) % TYPES.len()];
    let Ok(data) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    if let Ok(event) = ItemEvent::decode(event_type, i32::from(version % 4), data) {
        let stored = event.encode();
        let again = ItemEvent::decode(stored.event_type, stored.schema_version, stored.data)
            .expect("what encode wrote decodes");
        assert_eq!(again, event);
    }
});
