//! The host's response body: either a reply held in memory or a
//! [`Streamed`] body generated chunk by chunk as hyper writes it, so a
//! hostile answer (endless, or hundreds of MB) costs one shared 64 KiB chunk
//! however much of it the client reads. Hyper asks for the next chunk only
//! once the previous one is written, so the pace is the client's.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use hyper::body::{Bytes, Frame, SizeHint};

use crate::http::Streamed;

/// Opens both streamed lists.
const LIST_HEAD: &[u8] = b"{\"value\":[";
/// One list item, repeated to fill the body.
const LIST_ITEM: &[u8] = b"{\"name\":\"x\"},";
/// Closes a sized list (the empty object absorbs the last item's comma).
const LIST_TAIL: &[u8] = b"{}]}";
/// Upper bound of a chunk.
const CHUNK_BYTES: usize = 64 * 1024;

/// Whole items fitting in [`CHUNK_BYTES`], built once and shared by every
/// streamed body (cloning [`Bytes`] only bumps a reference count).
fn item_chunk() -> Bytes {
    static CHUNK: OnceLock<Bytes> = OnceLock::new();
    CHUNK
        .get_or_init(|| Bytes::from(LIST_ITEM.repeat(CHUNK_BYTES / LIST_ITEM.len())))
        .clone()
}

#[derive(Debug)]
enum Piece {
    Once(Bytes),
    /// `chunk` again and again: `left` more bytes of it, or forever.
    Repeat {
        chunk: Bytes,
        left: Option<u64>,
    },
}

/// A response body: a sequence of pieces, written in order.
#[derive(Debug)]
pub(crate) struct Body {
    pieces: VecDeque<Piece>,
}

impl Body {
    pub(crate) fn full(bytes: Vec<u8>) -> Body {
        let mut pieces = VecDeque::new();
        if !bytes.is_empty() {
            pieces.push_back(Piece::Once(Bytes::from(bytes)));
        }
        Body { pieces }
    }

    pub(crate) fn streamed(streamed: Streamed) -> Body {
        let pieces = match streamed {
            Streamed::EndlessList => VecDeque::from([
                Piece::Once(Bytes::from_static(LIST_HEAD)),
                Piece::Repeat {
                    chunk: item_chunk(),
                    left: None,
                },
            ]),
            Streamed::SizedList(len) => sized_list(len),
        };
        Body { pieces }
    }
}

/// Exactly `len` bytes: head, whole items, tail, then up to an item's length
/// of spaces, which JSON allows after the value.
fn sized_list(len: u64) -> VecDeque<Piece> {
    let frame = (LIST_HEAD.len() + LIST_TAIL.len()) as u64;
    let item = LIST_ITEM.len() as u64;
    let spaces = |n: u64| Piece::Repeat {
        chunk: Bytes::from_static(&[b' '; 64]),
        left: Some(n),
    };
    if len < frame {
        return VecDeque::from([spaces(len)]);
    }
    let items = (len - frame) / item;
    VecDeque::from([
        Piece::Once(Bytes::from_static(LIST_HEAD)),
        // The chunk holds whole items, so every cut falls between two.
        Piece::Repeat {
            chunk: item_chunk(),
            left: Some(items * item),
        },
        Piece::Once(Bytes::from_static(LIST_TAIL)),
        spaces((len - frame) % item),
    ])
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let pieces = &mut self.get_mut().pieces;
        loop {
            let Some(front) = pieces.front_mut() else {
                return Poll::Ready(None);
            };
            let (data, used_up) = match front {
                Piece::Once(bytes) => (std::mem::take(bytes), true),
                Piece::Repeat { chunk, left: None } => (chunk.clone(), chunk.is_empty()),
                Piece::Repeat {
                    chunk,
                    left: Some(left),
                } => {
                    let n = usize::try_from(*left).map_or(chunk.len(), |l| l.min(chunk.len()));
                    *left -= n as u64;
                    (chunk.slice(..n), *left == 0 || n == 0)
                }
            };
            if used_up {
                pieces.pop_front();
            }
            if !data.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Exact unless the body is endless, so hyper frames finite bodies with
    /// `Content-Length` and the endless one with chunked encoding.
    fn size_hint(&self) -> SizeHint {
        let mut total: u64 = 0;
        for piece in &self.pieces {
            let len = match piece {
                Piece::Once(bytes) => bytes.len() as u64,
                Piece::Repeat { left: Some(n), .. } => *n,
                Piece::Repeat { left: None, .. } => return SizeHint::default(),
            };
            total = total.saturating_add(len);
        }
        SizeHint::with_exact(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::body::Body as _;

    /// Collects at most `limit` bytes of `body`.
    fn collect(mut body: Body, limit: usize) -> Vec<u8> {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut out = Vec::new();
        while out.len() < limit {
            match Pin::new(&mut body).poll_frame(&mut cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let data = frame.into_data().unwrap_or_default();
                    assert!(!data.is_empty() && data.len() <= CHUNK_BYTES);
                    out.extend_from_slice(&data);
                }
                Poll::Ready(None) => break,
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Pending => panic!("bodies are always ready"),
            }
        }
        out
    }

    #[test]
    fn sized_lists_are_exact_and_valid_json_when_long_enough() {
        for len in [0, 1, 13, 14, 15, 26, 27, 28, 100, 65_536, 65_549, 200_003] {
            let body = Body::streamed(Streamed::SizedList(len));
            assert_eq!(body.size_hint().exact(), Some(len));
            let bytes = collect(body, usize::MAX);
            assert_eq!(bytes.len() as u64, len);
            if len >= 14 {
                let value: serde_json::Value =
                    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{len}: {e}"));
                assert!(value["value"].is_array(), "{len}");
            } else {
                assert!(bytes.iter().all(|b| *b == b' '));
            }
        }
    }

    #[test]
    fn endless_lists_go_on() {
        let body = Body::streamed(Streamed::EndlessList);
        assert_eq!(body.size_hint().exact(), None);
        assert!(!body.is_end_stream());
        let bytes = collect(body, 1_000_000);
        assert!(bytes.len() >= 1_000_000);
        assert!(bytes.starts_with(b"{\"value\":[{\"name\":\"x\"},{\"name\":\"x\"},"));
    }

    #[test]
    fn full_bodies() {
        let empty = Body::full(Vec::new());
        assert!(empty.is_end_stream());
        assert_eq!(empty.size_hint().exact(), Some(0));
        let body = Body::full(b"{}".to_vec());
        assert_eq!(body.size_hint().exact(), Some(2));
        assert_eq!(collect(body, usize::MAX), b"{}");
    }
}
