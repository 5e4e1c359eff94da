//! Decoding the claims of an arbitrary "token": never a panic.
#![no_main]

use adxconn::auth::claims::{is_arm_audience, Claims};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(claims) = Claims::decode(text) {
        let _ = claims.describe();
        if let Some(audience) = &claims.audience {
            let _ = is_arm_audience(audience);
        }
    }
});
