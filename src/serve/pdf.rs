//! `format=pdf`: the PDF conversions of the service, in a bounded queue.
//!
//! A request renders its DOCX on the blocking pool like any other, then
//! hands it to the converters and waits (on the async worker, holding no
//! worker's turn) for the PDF. At most [`super::Config::pdf_queue`]
//! conversions are admitted at once, waiting or running; one more is
//! answered `503` with `Retry-After` at once. Each converter thread (one per
//! core by default) owns a LibreOffice ([`Office`], started at its first
//! conversion) and converts what is queued when it is free, and what comes
//! after while requests keep coming ([`GATHER`] apart, for
//! [`GATHER_AT_MOST`] at most), up to [`MAX_RUN`] documents, in one run. A run that crashes or hangs is killed
//! by [`Office`] and fails the requests in it with a clear error; the next
//! run starts LibreOffice afresh.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::render::pdf::{Office, PdfError};

/// The most documents one LibreOffice run of the service converts.
pub const MAX_RUN: usize = 8;

/// How long a converter waits after a request for another to join its run...
const GATHER: Duration = Duration::from_millis(100);
/// ... and how long at most, however many keep coming.
const GATHER_AT_MOST: Duration = Duration::from_millis(500);

/// The queue of conversions and its converter threads.
#[derive(Debug, Clone)]
pub struct Converter {
    queue: SyncSender<Job>,
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

/// A place among the admitted conversions, given back when dropped.
#[derive(Debug)]
pub struct Ticket(Arc<AtomicUsize>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Debug)]
struct Job {
    docx: Vec<u8>,
    reply: oneshot::Sender<Result<Vec<u8>, PdfError>>,
    _ticket: Ticket,
}

/// How the converters work.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Conversions admitted at once, waiting or running.
    pub capacity: usize,
    /// Converter threads (LibreOffice runs side by side).
    pub threads: usize,
    /// Where the LibreOffice profiles go (the system's temporary folder when `None`).
    pub dir: Option<PathBuf>,
    /// The time limit of a LibreOffice run, besides 5 s per document.
    pub run_timeout: Duration,
}

impl Converter {
    /// Starts the converter threads; they end when every clone of the
    /// converter is gone. LibreOffice itself is started at the first
    /// conversion, so a service that makes no PDF never starts it.
    pub fn start(settings: Settings) -> Converter {
        let capacity = settings.capacity.max(1);
        let (queue, jobs) = std::sync::mpsc::sync_channel(capacity);
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..settings.threads.max(1) {
            let jobs = Arc::clone(&jobs);
            let settings = settings.clone();
            // Without the thread the queue fills and is answered 503.
            let _ = std::thread::Builder::new()
                .name(format!("nianbao-pdf-{n}"))
                .spawn(move || convert_loop(&jobs, &settings));
        }
        Converter {
            queue,
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity,
        }
    }

    /// A place in the queue, or `None` when it is full.
    pub fn admit(&self) -> Option<Ticket> {
        let admitted = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            });
        admitted.ok().map(|_| Ticket(Arc::clone(&self.admitted)))
    }

    /// The PDF of `docx`, converted in its turn; `None` when the queue or
    /// the converters are gone.
    pub async fn convert(
        &self,
        docx: Vec<u8>,
        ticket: Ticket,
    ) -> Option<Result<Vec<u8>, PdfError>> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            docx,
            reply,
            _ticket: ticket,
        };
        match self.queue.try_send(job) {
            Ok(()) => answer.await.ok(),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => None,
        }
    }
}

/// One converter thread: takes what is queued, converts it in one run,
/// answers each request; until the queue is gone.
fn convert_loop(jobs: &Mutex<Receiver<Job>>, settings: &Settings) {
    let mut office: Option<Office> = None;
    loop {
        let run: Vec<Job> = {
            let jobs = jobs.lock().unwrap_or_else(|p| p.into_inner());
            let Ok(first) = jobs.recv() else {
                return;
            };
            // Requests that come together go into one run: LibreOffice's
            // start (2–3 s) is paid once for them.
            let mut run = vec![first];
            let until = Instant::now() + GATHER_AT_MOST;
            while run.len() < MAX_RUN {
                let left = until.saturating_duration_since(Instant::now());
                match jobs.recv_timeout(left.min(GATHER)) {
                    Ok(job) => run.push(job),
                    Err(_) => break,
                }
            }
            run
        };
        // A request that has gone (timed out, disconnected) needs no PDF.
        let run: Vec<Job> = run.into_iter().filter(|j| !j.reply.is_closed()).collect();
        if run.is_empty() {
            continue;
        }
        let started = match office.take() {
            Some(o) => Ok(o),
            None => Office::start(settings.dir.as_deref()).map(|mut o| {
                o.timeout = settings.run_timeout;
                o
            }),
        };
        let mut current = match started {
            Ok(o) => o,
            Err(e) => {
                for job in run {
                    let _ = job.reply.send(Err(e.clone()));
                }
                continue;
            }
        };
        let docx: Vec<&[u8]> = run.iter().map(|j| j.docx.as_slice()).collect();
        let converted =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| current.convert(&docx)));
        match converted {
            Ok(Ok(pdfs)) => {
                for (job, pdf) in run.into_iter().zip(pdfs) {
                    let _ = job.reply.send(Ok(pdf));
                }
            }
            Ok(Err(e)) => {
                for job in run {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
            Err(_) => {
                for job in run {
                    let _ = job
                        .reply
                        .send(Err(PdfError::Crashed("内部错误".to_string())));
                }
            }
        }
        office = Some(current);
    }
}
