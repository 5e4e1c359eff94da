//! The emulator's transport-independent response type, shared by the ARM and
//! Entra handlers, and ARM's error envelope.
//!
//! Most answers are a [`Reply`] held in memory; the hostile-server faults
//! also need answers that never come ([`Outcome::Hang`]) or whose body is
//! produced while the client reads it ([`Outcome::Stream`]), so that an
//! endless or 500 MB body costs the emulator no more than one chunk.

use std::time::Duration;

use serde_json::{json, Value};

/// A response to write back.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What to do with the connection after handling a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    Reply(Reply),
    /// Answer `status` and `headers`, then a body generated on the fly.
    Stream {
        status: u16,
        headers: Vec<(String, String)>,
        body: Streamed,
    },
    /// Close the connection without answering.
    Drop,
    /// Never answer: keep the connection open, writing nothing, until the
    /// client gives up or the host stops.
    Hang,
    /// `outcome`, once `after` has passed (without holding anything up).
    Delayed {
        after: Duration,
        outcome: Box<Outcome>,
    },
}

impl Outcome {
    /// The status the client gets, `None` when it gets no answer.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Outcome::Reply(reply) => Some(reply.status),
            Outcome::Stream { status, .. } => Some(*status),
            Outcome::Drop | Outcome::Hang => None,
            Outcome::Delayed { outcome, .. } => outcome.status(),
        }
    }
}

/// A body generated while it is written, in chunks of at most 64 KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Streamed {
    /// `{"value":[` then `{"name":"x"},` repeated forever (chunked).
    EndlessList,
    /// Exactly this many bytes of a JSON list (whitespace only when too short
    /// for `{"value":[{}]}`), announced by `Content-Length`.
    SizedList(u64),
}

pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

impl Reply {
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".to_owned(), JSON_CONTENT_TYPE.to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// ARM's error envelope: `{"error":{"code","message"}}`.
    pub(crate) fn arm_error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply::json(
            status,
            &json!({"error": {"code": code, "message": message.into()}}),
        )
    }

    #[must_use]
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn set_header_if_absent(&mut self, name: &str, value: impl Into<String>) {
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            self.headers.push((name.to_owned(), value.into()));
        }
    }
}
