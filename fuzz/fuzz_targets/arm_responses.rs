//! Every parser of ARM answers on arbitrary bytes: resources, list pages, operation status,
//! the error envelope, and the tables and reconciliation that read them. Never a panic.
#![no_main]

use adxconn::arm::operation::read_status;
use adxconn::arm::write::holds;
use adxconn::arm::{ApiError, Page};
use adxconn::output::{details_table, list_table, short_name};
use adxconn::tenancy::source_ids;
use libfuzzer_sys::fuzz_target;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

fuzz_target!(|data: &[u8]| {
    let _ = Page::parse(data);
    for status in [StatusCode::BAD_REQUEST, StatusCode::CONFLICT, StatusCode::BAD_GATEWAY] {
        let error = ApiError::from_response(status, &HeaderMap::new(), data);
        assert!(!error.code.is_empty());
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = read_status(&value, "https://management.azure.com/operationResults/x");
        let _ = details_table(&value);
        let _ = list_table(std::slice::from_ref(&value));
        let _ = short_name(&value);
        let _ = source_ids(&value);
        let _ = holds(&value, &value);
    }
});
