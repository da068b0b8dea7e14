//! The bytes of a CSV file as the csv crate reads them: decoded to UTF-8 when the file is in
//! Windows-1253, every line end made "\n" (Windows' "\r\n" and the lone "\r" of Excel's "CSV
//! (Macintosh)"), and the offsets of those line ends kept only until the records before them are
//! named, so that an error names its line without the file being held.
//!
//! The csv crate ends a record at any of the three line ends but counts lines by "\n" alone, and
//! gives a record the position where its reading began, before any blank lines it skipped: hence
//! the line numbers are counted here. Only values with control characters change with their line
//! ends, and those are refused.

use std::collections::VecDeque;
use std::io::{self, Read};

/// The character encodings a file may come in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// With or without a byte-order mark.
    #[default]
    Utf8,
    /// Greek Windows ("ANSI"), as older HR systems and Excel on Greek Windows write CSV.
    Windows1253,
}

impl Encoding {
    /// From its name as a flag or a `charset` gives it (case-insensitive; cp1253 too).
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1253" | "cp1253" | "x-cp1253" => Some(Encoding::Windows1253),
            _ => None,
        }
    }
}

const CHUNK: usize = 64 * 1024;

/// A reader of the normalised stream (see the module's documentation).
pub struct Normalized<R> {
    inner: R,
    decoder: Option<encoding_rs::Decoder>,
    raw: Vec<u8>,
    decoded: String,
    out: Vec<u8>,
    out_pos: usize,
    after_cr: bool,
    eof: bool,
    /// Bytes read from `inner` (the progress through the file).
    consumed: u64,
    /// Bytes of the normalised stream produced so far.
    produced: u64,
    /// Offsets of the "\n" produced and not yet counted into `line`.
    newlines: VecDeque<u64>,
    /// The line at the last offset asked about.
    line: u64,
}

impl<R: Read> Normalized<R> {
    pub fn new(inner: R, encoding: Encoding) -> Self {
        Normalized {
            inner,
            decoder: match encoding {
                Encoding::Utf8 => None,
                Encoding::Windows1253 => {
                    Some(encoding_rs::WINDOWS_1253.new_decoder_without_bom_handling())
                }
            },
            raw: vec![0; CHUNK],
            decoded: String::new(),
            out: Vec::with_capacity(CHUNK * 2),
            out_pos: 0,
            after_cr: false,
            eof: false,
            consumed: 0,
            produced: 0,
            newlines: VecDeque::new(),
            line: 1,
        }
    }

    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The 1-based line of the byte at `offset` of the normalised stream. Offsets are asked for
    /// in increasing order.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.newlines.front().is_some_and(|&n| n < offset) {
            self.newlines.pop_front();
            self.line += 1;
        }
        self.line
    }

    /// The line of a record that the csv crate says begins at `offset`: past the blank lines
    /// it skipped there.
    pub fn line_of_record(&mut self, offset: u64) -> u64 {
        let mut start = offset;
        self.line_at(start);
        while self.newlines.front() == Some(&start) {
            self.newlines.pop_front();
            self.line += 1;
            start += 1;
        }
        self.line
    }

    /// Reads and normalises the next chunk into `out`; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.eof {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.consumed += n as u64;
            self.eof = n == 0;
            let bytes: &[u8] = match &mut self.decoder {
                None => &self.raw[..n],
                Some(decoder) => {
                    self.decoded.clear();
                    let needed = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
                    self.decoded.reserve(needed);
                    let _ = decoder.decode_to_string(&self.raw[..n], &mut self.decoded, self.eof);
                    self.decoded.as_bytes()
                }
            };
            for &b in bytes {
                let was_cr = self.after_cr;
                self.after_cr = b == b'\r';
                match b {
                    b'\n' if was_cr => {}
                    b'\r' | b'\n' => {
                        self.newlines
                            .push_back(self.produced + self.out.len() as u64);
                        self.out.push(b'\n');
                    }
                    b => self.out.push(b),
                }
            }
            self.produced += self.out.len() as u64;
        }
        Ok(!self.out.is_empty())
    }
}

impl<R: Read> Read for Normalized<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() && !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(input: &[u8], encoding: Encoding) -> String {
        let mut out = String::new();
        Normalized::new(input, encoding)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn every_line_end_becomes_one_newline() {
        assert_eq!(
            normalised(b"a\r\nb\rc\nd\r\r\ne", Encoding::Utf8),
            "a\nb\nc\nd\n\ne"
        );
    }

    /// A "\r\n" split between two reads of the file is one line end.
    #[test]
    fn a_line_end_split_between_reads_is_one() {
        let mut input = vec![b'x'; CHUNK - 1];
        input.extend_from_slice(b"\r\ny");
        let out = normalised(&input, Encoding::Utf8);
        assert_eq!(out.len(), CHUNK + 1);
        assert!(out.ends_with("x\ny"));
    }

    #[test]
    fn windows_1253_is_decoded() {
        // «Παπάς» in Windows-1253.
        let input = [0xD0, 0xE1, 0xF0, 0xDC, 0xF2, b'\r', b'\n'];
        assert_eq!(normalised(&input, Encoding::Windows1253), "Παπάς\n");
    }

    #[test]
    fn lines_are_counted_from_the_newlines_given() {
        let mut reader = Normalized::new(&b"h\n\n\na\nb\n"[..], Encoding::Utf8);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(reader.line_at(0), 1);
        // The record after the blank lines begins at offset 2, and is on line 4.
        assert_eq!(reader.line_of_record(2), 4);
        assert_eq!(reader.line_of_record(6), 5);
        assert_eq!(reader.line_at(8), 6);
    }

    #[test]
    fn encodings_are_named_as_charsets_name_them() {
        assert_eq!(Encoding::parse("Windows-1253"), Some(Encoding::Windows1253));
        assert_eq!(Encoding::parse("UTF-8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::parse("latin1"), None);
    }
}
