//! stderr, shared by progress lines and `--debug` traces. On a terminal the progress line is
//! redrawn in place and left unfinished; whatever is written next first erases it, so no trace
//! or message lands at the end of it.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether an unfinished progress line is on screen.
static OPEN: AtomicBool = AtomicBool::new(false);

/// What erases the progress line: back to its start, clear to the end.
const CLEAR_LINE: &str = "\r\x1b[2K";

/// Writes `text` (already scrubbed) after erasing an open progress line.
pub fn write(text: &str) {
    let mut stderr = io::stderr().lock();
    if OPEN.swap(false, Ordering::Relaxed) {
        let _ = write!(stderr, "{CLEAR_LINE}");
    }
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Replaces the progress line with `line` (already scrubbed), left unfinished.
pub fn redraw(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{CLEAR_LINE}{line}");
    let _ = stderr.flush();
    OPEN.store(true, Ordering::Relaxed);
}

/// Erases an open progress line, so the shell's prompt starts on a line of its own.
pub fn finish() {
    write("");
}
