//! The wire types of api-version 2025-02-14.
