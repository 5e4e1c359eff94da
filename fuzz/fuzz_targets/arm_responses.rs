//! Every parser of ARM answers on arbitrary bytes: resources, list pages, operation status,
//! the error envelope, and the tables and reconciliation that read them. Never a panic.
#![no_main]

use adxconn::arm::operation::read_status;
use adxconn::arm::write::holds;
use adxconn::arm::ApiError;
use adxconn::output::{details_table, list_table, ConnectionView};
use adxconn::tenancy::{source_ids, SourceTenant};
use adxconn::wire::{DataConnection, OperationStatus, Page, Received};
use libfuzzer_sys::fuzz_target;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Page<DataConnection>>(data);
    for status in [
        StatusCode::BAD_REQUEST,
        StatusCode::CONFLICT,
        StatusCode::BAD_GATEWAY,
    ] {
        let error = ApiError::from_response(status, &HeaderMap::new(), data);
        assert!(!error.code.is_empty());
    }
    if let Ok(status) = serde_json::from_slice::<OperationStatus>(data) {
        let _ = read_status(&status, "https://management.azure.com/operationResults/x");
    }
    if let Ok(received) = serde_json::from_slice::<Received<DataConnection>>(data) {
        // What was read is written back and read again as the same connection.
        let connection = &received.value;
        let written = serde_json::to_vec(connection).unwrap();
        let again: DataConnection = serde_json::from_slice(&written).unwrap();
        assert_eq!(&again, connection);
        let _ = source_ids(connection);
        assert!(holds(connection, connection));
        let view = ConnectionView::new(received).with_source_tenant(SourceTenant::Unknown);
        let _ = details_table(&view);
        let _ = list_table(std::slice::from_ref(&view), true);
        let _ = view.to_json();
    }
});
