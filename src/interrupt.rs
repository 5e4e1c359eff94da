//! Ctrl-C and SIGTERM while a write is in flight or being waited for.
//!
//! Listening starts before a write is sent, so a signal during the request is held until its
//! answer (and the operation URL) is in hand: the user is then told exactly what is running in
//! Azure and how to wait for it again. The operation itself is never cancelled or repeated.

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
