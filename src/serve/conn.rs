//! The accept loop: hyper's HTTP/1 server with the connection limits that
//! `axum::serve` cannot set.
//!
//! - A client must send a request's head within `header_timeout`; the same
//!   bound closes a keep-alive connection that stays idle (hyper's
//!   `header_read_timeout`, started whenever a head is awaited). A client
//!   that sends nothing, or its head a byte at a time (slowloris), is dropped.
//! - A response that the client does not read for `write_timeout` (every
//!   write blocked all along) ends its connection: [`Stalling`].
//! - At most `max_connections` connections are open at once; past them the
//!   loop accepts no more until one closes (the kernel's backlog waits).
//! - On shutdown the loop stops accepting, idle connections close, and the
//!   requests in flight are finished (hyper-util's `GracefulShutdown`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;

use super::Config;

/// Serves `app` on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let write_timeout = config.write_timeout;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = accept(&listener, &connections) => accepted,
        };
        let Some((stream, place)) = accepted else {
            continue;
        };
        // Responses go out whole; no need to wait for the client's ACK.
        let _ = stream.set_nodelay(true);
        let peer = stream.peer_addr().ok();
        let io = TokioIo::new(Stalling::new(stream, write_timeout));
        // The client's address, for the throttle of failed logins.
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                if let Some(peer) = peer {
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                }
                request
            },
        );
        let connection =
            graceful.watch(http.serve_connection(io, TowerToHyperService::new(service)));
        tokio::spawn(async move {
            // A connection's errors (a reset, a timeout) are the client's
            // business; the request log has the requests.
            let _ = connection.await;
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The next connection with its place among `max_connections`; `None` after
/// an error of the accept (a connection reset before it was accepted, or no
/// file descriptor left: then a pause of a second, as hyper did).
async fn accept(
    listener: &TcpListener,
    connections: &Arc<Semaphore>,
) -> Option<(TcpStream, tokio::sync::OwnedSemaphorePermit)> {
    let place = Arc::clone(connections).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => Some((stream, place)),
        Err(e) => {
            if !matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::ConnectionReset
            ) {
                eprintln!("nianbao serve: 接受连接失败：{e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            None
        }
    }
}

/// A stream whose writes fail with `TimedOut` once they have been blocked
/// (the client reads nothing) for `limit` in a row.
struct Stalling<S> {
    inner: S,
    limit: Duration,
    since: Option<Pin<Box<Sleep>>>,
}

impl<S> Stalling<S> {
    fn new(inner: S, limit: Duration) -> Stalling<S> {
        Stalling {
            inner,
            limit,
            since: None,
        }
    }

    /// What a write that returned `poll` means: progress resets the clock;
    /// blocked past the limit is an error.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(r) => {
                self.since = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let limit = self.limit;
                let sleep = self
                    .since
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "客户端长时间未读取响应",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Stalling<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Stalling<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}
