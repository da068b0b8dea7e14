//! A real RFC 3161 time-stamping authority for tests: a Python script of the test suite's own
//! (pyHanko's `DummyTimeStamper` served by aiohttp, with an RSA TSA certificate it makes under
//! a root of its own), run by the pyHanko interpreter ([`crate::pyhanko::python`]) on a random
//! port of 127.0.0.1, and stopped when the [`TestTsa`] goes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running test TSA.
pub struct TestTsa {
    /// Where it answers `application/timestamp-query` (`http://127.0.0.1:PORT/`).
    pub url: String,
    /// The root its TSA certificate chains to (PEM): a validator's trust anchor for its tokens.
    pub root_pem: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TestTsa {
    /// Starts `script` (it prints `{"url": …, "root": …}` once it listens, and exits when its
    /// standard input closes). Blocks until it listens: start it before the server under test.
    pub fn start(script: &Path) -> Result<TestTsa, String> {
        let dir = tempfile::Builder::new()
            .prefix("certdesk-tsa-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let python = crate::pyhanko::python();
        let mut child = Command::new(&python)
            .arg(script)
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run {} {}: {e} (set {} to a Python with pyhanko and aiohttp)",
                    python.display(),
                    script.display(),
                    crate::pyhanko::PYTHON_VAR
                )
            })?;
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .map(|out| BufReader::new(out).read_line(&mut line));
        let field = |name: &str| {
            let key = format!("\"{name}\": \"");
            let start = line.find(&key)? + key.len();
            let end = start + line[start..].find('"')?;
            Some(line[start..end].to_owned())
        };
        let (Some(Ok(_)), Some(url), Some(root)) = (read, field("url"), field("root")) else {
            let _ = child.kill();
            let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
            return Err(format!(
                "the test TSA {} did not start ({status}): {line}",
                script.display()
            ));
        };
        let root_pem = std::fs::read_to_string(&root).map_err(|e| format!("{root}: {e}"))?;
        Ok(TestTsa {
            url,
            root_pem,
            child,
            _dir: dir,
        })
    }
}

impl Drop for TestTsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
