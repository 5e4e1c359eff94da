//! Ctrl-C, SIGTERM and `--timeout`: what cuts every await of a run.
//!
//! Every request (token requests included), every pause between retries and every poll runs
//! under a `Cancel`, so a server that never answers cannot hold the user: a signal or the
//! deadline ends the run at once. Azure's operations are never cancelled or repeated; the user
//! is told what was sent and how to follow it.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Set once a SIGINT or SIGTERM arrived.
#[derive(Clone)]
pub struct Interrupt {
    signalled: watch::Receiver<bool>,
}

impl Interrupt {
    /// Starts listening; must be called inside the runtime.
    pub fn listen() -> Interrupt {
        let (sender, signalled) = watch::channel(false);
        tokio::spawn(async move {
            signal().await;
            let _ = sender.send(true);
        });
        Interrupt { signalled }
    }

    pub fn is_set(&self) -> bool {
        *self.signalled.borrow()
    }

    /// Resolves when a signal arrives (at once if one already has).
    pub async fn fired(&self) {
        let mut signalled = self.signalled.clone();
        // An error means the sender is gone without a signal: pend forever.
        if signalled.wait_for(|set| *set).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Why a run stopped before its work was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT or SIGTERM.
    Interrupted,
    /// The deadline (`--timeout`) passed; the value is how long the run had been going.
    Deadline(Duration),
}

/// A signal listener and an optional deadline, shared by everything a run awaits.
#[derive(Clone)]
pub struct Cancel {
    interrupt: Interrupt,
    started: Instant,
    deadline: Option<Instant>,
}

impl Cancel {
    /// Starts listening for signals; the deadline is `timeout` after `started`.
    pub fn new(started: Instant, timeout: Option<Duration>) -> Cancel {
        Cancel {
            interrupt: Interrupt::listen(),
            started,
            deadline: timeout.map(|timeout| started + timeout),
        }
    }

    /// Runs `work` until it ends, a signal arrives or the deadline passes.
    pub async fn guard<F: Future>(&self, work: F) -> Result<F::Output, Stop> {
        self.check()?;
        let deadline = async {
            match self.deadline {
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = self.interrupt.fired() => Err(Stop::Interrupted),
            () = deadline => Err(Stop::Deadline(self.started.elapsed())),
            output = work => Ok(output),
        }
    }

    /// Sleeps for `delay`, unless stopped first.
    pub async fn sleep(&self, delay: Duration) -> Result<(), Stop> {
        self.guard(tokio::time::sleep(delay)).await
    }

    /// Whether the run must stop now.
    pub fn check(&self) -> Result<(), Stop> {
        if self.interrupt.is_set() {
            return Err(Stop::Interrupted);
        }
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => {
                Err(Stop::Deadline(self.started.elapsed()))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(unix)]
async fn signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn signal() {
    let _ = tokio::signal::ctrl_c().await;
}
