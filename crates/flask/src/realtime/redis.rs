//! The hub across instances: each message goes through Redis pub/sub (`PUBLISH` on
//! `<prefix><room>`), and every instance, this one too, delivers what comes back to its
//! own subscribers.

use std::sync::{Arc, Weak};

use fred::clients::Client;
use fred::prelude::{
    ClientLike, Config as RedisConfig, EventInterface, PubsubInterface, ReconnectPolicy,
};
use tokio::sync::broadcast::error::RecvError;

use super::hub::{Hub, HubError, HubInner, HubMessage};
use crate::app::BoxError;

/// This instance's two connections to Redis: one publishes, one listens.
pub(crate) struct RedisQueue {
    publisher: Client,
    subscriber: Client,
    listener: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue").finish_non_exhaustive()
    }
}

impl Drop for RedisQueue {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl RedisQueue {
    pub(crate) async fn publish(&self, prefix: &str, message: &HubMessage) -> Result<(), HubError> {
        let payload = serde_json::to_string(message)?;
        self.publisher
            .publish::<i64, _, _>(format!("{prefix}{}", message.room), payload)
            .await
            .map(drop)
            .map_err(|e| HubError::Queue(e.to_string()))
    }

    pub(crate) async fn quit(&self) {
        self.listener.abort();
        let _ = self.subscriber.quit().await;
        let _ = self.publisher.quit().await;
    }
}

/// Connects the hub to the Redis at `REALTIME_MESSAGE_QUEUE` (a startup task).
pub(crate) async fn connect(hub: &Hub, url: &str) -> Result<(), BoxError> {
    let inner = hub.inner();
    if inner.redis.get().is_some() {
        return Ok(());
    }
    let shown = crate::sessions::store::redact(url);
    let config = RedisConfig::from_url(url)
        .map_err(|e| format!("REALTIME_MESSAGE_QUEUE {shown:?} is not a Redis URL: {e}"))?;
    // Reconnect for ever, waiting up to 5 s between tries: a Redis restart must not end
    // the broadcasts.
    let policy = || Some(ReconnectPolicy::new_exponential(0, 100, 5_000, 2));
    let publisher = Client::new(config.clone(), None, None, policy());
    let subscriber = Client::new(config, None, None, policy());
    for client in [&publisher, &subscriber] {
        client.init().await.map_err(|e| {
            format!("cannot connect to Redis at {shown} (REALTIME_MESSAGE_QUEUE): {e}")
        })?;
    }
    let pattern = format!("{}*", glob_escape(&inner.settings.prefix));
    subscriber
        .psubscribe(pattern.clone())
        .await
        .map_err(|e| format!("cannot subscribe to {pattern} on {shown}: {e}"))?;
    let listener = tokio::spawn(listen(subscriber.clone(), pattern, Arc::downgrade(inner)));
    let _ = inner.redis.set(RedisQueue {
        publisher,
        subscriber,
        listener,
    });
    Ok(())
}

/// Delivers what Redis sends until the hub is gone; subscribes again after a reconnect.
async fn listen(subscriber: Client, pattern: String, hub: Weak<HubInner>) {
    let mut messages = subscriber.message_rx();
    let mut reconnects = subscriber.reconnect_rx();
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => {
                    let Some(hub) = hub.upgrade() else { return };
                    let Some(text) = message.value.as_str() else { continue };
                    match serde_json::from_str::<HubMessage>(&text) {
                        Ok(m) => hub.deliver(m),
                        Err(e) => tracing::warn!(
                            "a message on {} is not the hub's ({e}); ignored",
                            message.channel
                        ),
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!("the hub fell {n} Redis messages behind; they are lost");
                }
                Err(RecvError::Closed) => return,
            },
            reconnected = reconnects.recv() => match reconnected {
                Ok(_) => {
                    if let Err(e) = subscriber.psubscribe(pattern.clone()).await {
                        tracing::error!("subscribing to {pattern} again after a reconnect failed: {e}");
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// `prefix` as a literal in a `PSUBSCRIBE` pattern.
fn glob_escape(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
