//! Test servers run as child processes (the OpenID provider, the SMTP server): started on a free
//! port, ready when they print the line `ready`, their output passed to the test's stderr, killed
//! with the test. They also exit when their standard input closes, so none outlives its test.

#![allow(clippy::unwrap_used, clippy::panic)] // test support: a failure here is a failed test

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A free port on 127.0.0.1 (free a moment ago: the server binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).unwrap().port()
}

/// A running test server; killed when dropped.
pub struct ReadyChild {
    child: Child,
}

impl ReadyChild {
    /// Spawns `command` (named `name` in messages) and waits up to `timeout` for its `ready` line;
    /// `None` (and the child killed) when it does not come.
    pub fn spawn(name: &'static str, mut command: Command, timeout: Duration) -> Option<Self> {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start `{program}` for {name}: {error}"));
        let (ready, is_ready) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "ready" {
                    let _ = ready.send(());
                } else {
                    eprintln!("{name}: {line}");
                }
            }
        });
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{name}: {line}");
            }
        });
        let started = ReadyChild { child };
        is_ready.recv_timeout(timeout).ok().map(|()| started)
    }
}

impl Drop for ReadyChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
