//! One tokio runtime for the whole process, and the one way Python waits on it: with the GIL
//! released, in slices of [`TICK`], checking for Ctrl-C (and other signals) between slices.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::LazyLock;
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::internal_error;

/// How long a wait runs between two checks for signals: Ctrl-C cancels within this.
const TICK: Duration = Duration::from_millis(50);

/// The shared runtime (one worker per core), started on first use.
static RUNTIME: LazyLock<Result<tokio::runtime::Runtime, String>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kql-lake")
        .build()
        .map_err(|e| format!("cannot start the query runtime: {e}"))
});

fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    RUNTIME.as_ref().map_err(|e| internal_error(e.clone()))
}

/// Runs `work` to completion on the shared runtime with the GIL released.
///
/// Between slices of [`TICK`] it takes the GIL back and checks for signals: a pending
/// `KeyboardInterrupt` (Ctrl-C, or `_thread.interrupt_main()`) drops `work`, which cancels the
/// query (DataFusion aborts its tasks when their stream is dropped), and is raised. A panic in
/// `work` becomes an [`InternalError`](crate::errors) instead of unwinding into Python.
pub(crate) fn wait<F>(py: Python<'_>, work: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let rt = runtime()?;
    let mut work = std::pin::pin!(work);
    loop {
        let slice =
            py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(slice_of(work.as_mut(), TICK)))));
        match slice {
            Ok(Some(out)) => return Ok(out),
            Ok(None) => py.check_signals()?,
            Err(panic) => return Err(internal_error(format!("a panic in the engine: {}", panic_text(&panic)))),
        }
    }
}

/// Polls `work` for at most `tick` of wall-clock time: its output, or `None` when the tick
/// ran out first. The tick is measured with the system clock and a sleeping thread wakes the
/// poll, not with the runtime's timer: when every worker is busy with the query's own tasks the
/// timer may not be turned for a long time, and Ctrl-C must still be seen within a tick.
async fn slice_of<F: Future>(mut work: std::pin::Pin<&mut F>, tick: Duration) -> Option<F::Output> {
    let deadline = std::time::Instant::now() + tick;
    let mut armed = false;
    std::future::poll_fn(move |cx| {
        if let std::task::Poll::Ready(out) = work.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(out));
        }
        if std::time::Instant::now() >= deadline {
            return std::task::Poll::Ready(None);
        }
        if !armed {
            armed = true;
            let waker = cx.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(deadline.saturating_duration_since(std::time::Instant::now()));
                waker.wake();
            });
        }
        std::task::Poll::Pending
    })
    .await
}

/// The message of a caught panic.
pub(crate) fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}
