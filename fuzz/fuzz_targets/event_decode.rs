//! Any stored payload, of any type and schema version: decoding never panics, and what decodes
//! encodes to a payload that decodes to the same event (readers and the notifier rely on both);
//! decoding the payload's text agrees with decoding its `Value` (replicas replay from text).
#![no_main]

use lately_domain::ItemEvent;
use libfuzzer_sys::fuzz_target;

const TYPES: [&str; 12] = [
    "item_added",
    "item_started",
    "item_progress_logged",
    "item_finished",
    "item_abandoned",
    "item_edited",
    "item_removed",
    "item_finish_revised",
    "item_finish_retracted",
    "item_restored",
    "item_start_revised",
    "item_unknown",
];

fuzz_target!(|input: (u8, u8, &[u8])| {
    let (kind, version, json) = input;
    let event_type = TYPES[usize::from(kind) % TYPES.len()];
    let Ok(data) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let version = i32::from(version % 4);
    // The text as the log hands it out: no key twice in an object, as JSON columns keep it.
    let from_text = ItemEvent::decode_json(event_type, version, &data.to_string());
    let from_value = ItemEvent::decode(event_type, version, data);
    assert_eq!(from_text.as_ref().ok(), from_value.as_ref().ok());
    if let Ok(event) = from_value {
        let stored = event.encode();
        let again = ItemEvent::decode(stored.event_type, stored.schema_version, stored.data)
            .expect("what encode wrote decodes");
        assert_eq!(again, event);
    }
});
