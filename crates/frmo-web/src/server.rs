//! The accept loop `frmo serve` and the tests' `TestApp` both run: HTTP/1.1 over hyper with a
//! header-read timeout (slowloris) and an idle timeout (a connection silent while no request is
//! being handled), both kept by one watch per connection that reads no clock per request, a cap on open connections per client address and in all (over a cap the connection is
//! closed at once, so idle sockets of one client cannot use up the process's files), the peer's
//! address handed to the limiter, and a graceful shutdown that lets requests in flight finish.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use crate::AppState;

/// Files kept back from the open-file limit for the database, documents and logs.
const RESERVED_FILES: usize = 128;

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = state.limits.clone();
    let app = crate::router(state);
    let max_total = match limits.settings.max_connections {
        0 => default_max_connections(),
        n => n,
    };
    let open = Arc::new(Open::default());
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    // The header-read timeout is the connection's watch's (`Activity::watch`): hyper's would set a
    // timer for every request.
    builder.http1().header_read_timeout(None).keep_alive(true);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Each connection holds a sender; all dropped means every connection has finished.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of files or a connection reset before it was taken: wait, do not spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let per_address = (!limits.is_trusted_proxy(peer.ip())).then_some(limits.settings.connections_per_address);
        let Some(slot) = open.admit(crate::limits::counted(peer.ip()), per_address, max_total) else {
            tracing::debug!(%peer, "connection refused: over the cap of open connections");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            app: app.clone(),
            builder: builder.clone(),
            idle: limits.idle_timeout(),
            head: limits.header_read_timeout(),
            stop: stop_rx.clone(),
            _slot: slot,
            _done: done_tx.clone(),
        };
        tokio::spawn(connection.run(stream, peer));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_tx);
    let _ = done_rx.recv().await;
    Ok(())
}

/// The open-file limit of the process (soft) less a reserve; 1,000 when it cannot be read.
fn default_max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits").ok().and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse::<usize>().ok()
    });
    match soft {
        Some(soft) => soft.saturating_sub(RESERVED_FILES.max(soft / 10)).max(16),
        None => 1000,
    }
}

/// Open connections per address (an IPv6 client by its /64) and in all.
#[derive(Default)]
struct Open {
    per_address: Mutex<HashMap<IpAddr, usize>>,
    total: AtomicUsize,
}

/// One admitted connection; leaving frees its place.
struct Slot {
    open: Arc<Open>,
    address: IpAddr,
}

impl Open {
    /// A place for a connection from `address`, unless it (or the server) is at its cap.
    fn admit(self: &Arc<Self>, address: IpAddr, per_address: Option<usize>, max_total: usize) -> Option<Slot> {
        let mut counts = self.per_address.lock().unwrap_or_else(PoisonError::into_inner);
        if self.total.load(Ordering::Relaxed) >= max_total {
            return None;
        }
        let count = counts.entry(address).or_insert(0);
        if per_address.is_some_and(|cap| *count >= cap) {
            return None;
        }
        *count += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Some(Slot { open: self.clone(), address })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.per_address.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
        self.open.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What the connection's watch needs: whether bytes moved since it last looked, requests in
/// handling, whether a request's head is on its way, and how many requests were handed on. Moving
/// bytes only sets flags: no clock is read, and no timer set, per read, write or request.
struct Activity {
    moved: AtomicBool,
    in_flight: AtomicUsize,
    /// The connection is new, or bytes came while no request was in handling: a head is being
    /// read, until its request is handed to the service.
    head: AtomicBool,
    served: AtomicU64,
}

/// Why the watch closed a connection.
#[derive(Debug)]
enum Closed {
    /// No byte moved and no request was in handling for the idle limit.
    Idle,
    /// A request's head did not arrive whole within the header limit (slowloris).
    SlowHead,
}

impl Activity {
    fn new() -> Self {
        Activity {
            moved: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            head: AtomicBool::new(true),
            served: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        self.moved.store(true, Ordering::Relaxed);
    }

    /// Bytes came in.
    fn received(&self) {
        self.touch();
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            self.head.store(true, Ordering::Relaxed);
        }
    }

    /// Resolves once the connection has been idle — no byte moved, no request in handling — for
    /// `idle`, or a head has been arriving for `head` without its request being handed on, give or
    /// take a quarter of the shorter limit: it looks four times per that limit.
    async fn watch(&self, idle: Duration, head: Duration) -> Closed {
        let step = (idle.min(head) / 4).max(Duration::from_millis(1));
        let mut quiet = Duration::ZERO;
        let mut waiting = Duration::ZERO;
        let mut served = u64::MAX;
        loop {
            tokio::time::sleep(step).await;
            if self.moved.swap(false, Ordering::Relaxed) || self.in_flight.load(Ordering::Relaxed) > 0 {
                quiet = Duration::ZERO;
            } else {
                quiet += step;
                if quiet >= idle {
                    return Closed::Idle;
                }
            }
            // The same head as last time (no request handed on since): it has waited one more step.
            let now_served = self.served.load(Ordering::Relaxed);
            if self.head.load(Ordering::Relaxed) && now_served == served {
                waiting += step;
                if waiting >= head {
                    return Closed::SlowHead;
                }
            } else {
                waiting = Duration::ZERO;
            }
            served = now_served;
        }
    }
}

/// Counts a request as in handling until dropped (its response's head is ready).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.head.store(false, Ordering::Relaxed);
        activity.served.fetch_add(1, Ordering::Relaxed);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket, noting when bytes move.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.received();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// One accepted connection and what it needs.
struct Connection {
    app: axum::Router,
    builder: auto::Builder<TokioExecutor>,
    idle: Duration,
    head: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
    _slot: Slot,
    _done: tokio::sync::mpsc::Sender<()>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, peer: SocketAddr) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked { stream, activity: activity.clone() });
        let app = self.app.clone();
        let requests = activity.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let in_flight = InFlight::new(&requests);
            let response = app.clone().oneshot(request);
            async move {
                let response = response.await;
                drop(in_flight);
                response
            }
        });
        let connection = self.builder.serve_connection(io, service);
        tokio::pin!(connection);
        let watch = activity.watch(self.idle, self.head);
        tokio::pin!(watch);
        let mut stopping = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                    break;
                }
                closed = &mut watch => {
                    tracing::debug!(%peer, ?closed, "connection closed by its watch");
                    break;
                }
                changed = self.stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() {
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_address_and_in_all() {
        let open = Arc::new(Open::default());
        let a: IpAddr = "127.0.0.2".parse().expect("address");
        let b: IpAddr = "127.0.0.3".parse().expect("address");
        let first = open.admit(a, Some(2), 3).expect("first");
        let _second = open.admit(a, Some(2), 3).expect("second");
        assert!(open.admit(a, Some(2), 3).is_none(), "over the address's cap");
        let _third = open.admit(b, Some(2), 3).expect("another address");
        assert!(open.admit(b, None, 3).is_none(), "over the server's cap");
        drop(first);
        assert!(open.admit(a, Some(2), 3).is_some(), "a closed connection frees its place");
    }
}
