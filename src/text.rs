//! Small text and file helpers with no knowledge of Azure or the command line.

use std::io::{self, Read};
use std::path::Path;

/// Echoes input in messages without flooding the terminal with a huge value.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Reads a file (or stdin for `-`) of at most `limit` bytes. A longer one (`/dev/zero`, a
/// mistaken path to a disk image) is an error after reading `limit + 1` bytes, not a process
/// that grows until it is killed.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        io::stdin().lock().take(limit + 1).read_to_end(&mut bytes)?;
    } else {
        let file = std::fs::File::open(path)?;
        if file.metadata()?.is_dir() {
            return Err(io::Error::other("it is a directory"));
        }
        file.take(limit + 1).read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "it is longer than {} KB",
            limit / 1024
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        assert!(read_bounded(Path::new("/dev/zero"), 1024).is_err());
        assert!(read_bounded(Path::new("/"), 1024).is_err());
        let dir = std::env::temp_dir().join(format!("adxconn-text-{}", std::process::id()));
        std::fs::write(&dir, b"abc").unwrap();
        assert_eq!(read_bounded(&dir, 3).unwrap(), b"abc");
        assert!(read_bounded(&dir, 2).is_err());
        let _ = std::fs::remove_file(&dir);
    }
}
