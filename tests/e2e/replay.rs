//! Replays real recorded ARM traffic (see tests/fixtures/README.md).
