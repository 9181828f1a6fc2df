//! A real SMTP server for tests: tests/smtp/sink.py on PyPI's `aiosmtpd` (pinned in
//! tests/smtp/requirements.txt; `.ci/run` installs it). It keeps every message as a file and can
//! refuse the first deliveries with a temporary error, to exercise retries.

#![allow(clippy::unwrap_used, clippy::panic)] // test support: a failure here is a failed test

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::process::{ReadyChild, free_port};

/// A running SMTP sink; stopped when dropped.
pub struct SmtpSink {
    _child: ReadyChild,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the sink; the first `fail_first` deliveries are refused with 451.
    pub fn start(fail_first: usize) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/smtp/sink.py");
        let dir = tempfile::tempdir().expect("a folder for the messages");
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        for _ in 0..3 {
            let port = free_port();
            let mut command = Command::new(&python);
            command.arg(&script).arg(port.to_string()).arg(dir.path()).arg(fail_first.to_string());
            if let Some(child) = ReadyChild::spawn("smtp-sink", command, Duration::from_secs(30)) {
                return SmtpSink { _child: child, port, dir };
            }
        }
        panic!("tests/smtp/sink.py did not start (is aiosmtpd installed? pip install -r tests/smtp/requirements.txt)");
    }

    /// The messages received so far, in order: `envelope_to`, `from`, `to`, `subject`,
    /// `message_id` and `body`, decoded by Python's e-mail parser (an independent reader).
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
    }
}
