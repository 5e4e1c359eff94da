//! Request URLs built from user input: whatever `arm_url` accepts addresses exactly the
//! segments given (no `.`/`..` normalisation, no segment split or merged, nothing in the query
//! but the api-version, always the endpoint's origin), and a data-connection id that parses
//! builds the URL of that very connection.
#![no_main]

use adxconn::arm::{arm_url, API_VERSION};
use adxconn::target::ConnectionRef;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let endpoint = Url::parse("https://management.azure.com/prefix/").unwrap();
    let segments: Vec<&str> = text.split('\n').collect();
    if let Ok(url) = arm_url(&endpoint, &segments) {
        assert_round_trip(&endpoint, &url, &segments);
    }
    if let Ok(connection) = ConnectionRef::from_id(text) {
        let path = connection.path();
        let url = arm_url(&endpoint, &path).expect("a parsed id builds a URL");
        assert_round_trip(&endpoint, &url, &path);
        assert!(connection.id().eq_ignore_ascii_case(text));
    }
});

fn assert_round_trip(endpoint: &Url, url: &Url, segments: &[&str]) {
    assert_eq!(url.origin(), endpoint.origin());
    let built: Vec<String> = url
        .path_segments()
        .unwrap()
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(built, segments);
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(query, [("api-version".to_string(), API_VERSION.to_string())]);
    assert!(url.fragment().is_none());
    // The URL as sent parses back to itself: nothing left for a server to re-normalise.
    assert_eq!(Url::parse(url.as_str()).unwrap(), *url);
}
