//! Resource ids and data-connection ids from arbitrary text: never a panic, and whatever
//! parses prints back exactly as given.
#![no_main]

use adxconn::resource_id::ResourceId;
use adxconn::target::ConnectionRef;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = ResourceId::parse(text) {
        assert_eq!(id.to_string(), text);
        assert!(!id.names().is_empty());
        let _ = ResourceId::parse_typed(text, "Microsoft.EventHub/namespaces/eventhubs");
    }
    let _ = ConnectionRef::from_id(text);
});
