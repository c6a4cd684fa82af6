//! The queue: RabbitMQ over AMQP 0-9-1 (lapin). Queues are declared as Celery declares
//! them (durable, a direct exchange of the same name, no arguments), so a Python app's
//! Celery and this crate can share them; messages are published persistent, with the
//! broker's confirmation awaited.

use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Confirmation, Connection, ConnectionProperties, Consumer, ExchangeKind};

use crate::Error;
use crate::protocol::Message;

/// A connection to the broker, with a channel in confirm mode for publishing.
pub(crate) struct Broker {
    connection: Connection,
    publisher: Channel,
    shown: String,
    /// The queues declared on this connection already.
    declared: std::sync::Mutex<Vec<String>>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

fn amqp(shown: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Broker(format!("{what} on the broker at {shown}: {e}"))
}

impl Broker {
    /// Connects to the broker at `url` (`amqp://guest:guest@127.0.0.1:5672//`).
    pub(crate) async fn connect(url: &str) -> Result<Broker, Error> {
        let shown = crate::backend::redact(url);
        // Celery writes the default virtual host as `//`; lapin wants it escaped.
        let url = match url.strip_suffix("//") {
            Some(base) if base.contains("://") && !base.ends_with(':') => format!("{base}/%2f"),
            _ => url.to_owned(),
        };
        // Named for the broker's list of connections (`rabbitmqctl list_connections
        // user_provided_name`): `flask-tasks <pid>`.
        let properties = ConnectionProperties::default()
            .with_connection_name(format!("flask-tasks {}", std::process::id()).into());
        let connection = Connection::connect(&url, properties)
            .await
            .map_err(|e| Error::Broker(format!("cannot connect to the broker at {shown}: {e}")))?;
        let publisher = connection
            .create_channel()
            .await
            .map_err(|e| amqp(&shown, "cannot open a channel", e))?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| amqp(&shown, "cannot turn on publisher confirms", e))?;
        Ok(Broker {
            connection,
            publisher,
            shown,
            declared: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Declares `queue` on `channel` as Celery does: a durable queue, a durable direct
    /// exchange of the same name, bound by the same routing key.
    pub(crate) async fn declare_on(&self, channel: &Channel, queue: &str) -> Result<(), Error> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        channel
            .exchange_declare(
                queue.into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await
            .map_err(|e| {
                amqp(
                    &self.shown,
                    &format!("cannot declare the exchange {queue}"),
                    e,
                )
            })?;
        let durable = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        channel
            .queue_declare(queue.into(), durable, FieldTable::default())
            .await
            .map_err(|e| amqp(&self.shown, &format!("cannot declare the queue {queue}"), e))?;
        channel
            .queue_bind(
                queue.into(),
                queue.into(),
                queue.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| amqp(&self.shown, &format!("cannot bind the queue {queue}"), e))?;
        Ok(())
    }

    /// Publishes `message` to `queue` (declared first, once per connection) and waits for
    /// the broker to confirm it holds it.
    pub(crate) async fn publish(&self, queue: &str, message: &Message) -> Result<(), Error> {
        let known = self
            .declared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|q| q == queue);
        if !known {
            self.declare_on(&self.publisher, queue).await?;
            self.declared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(queue.to_owned());
        }
        // To the default exchange, routed by the queue's name, as Celery publishes.
        let confirm = self
            .publisher
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &message.body(),
                message.properties(),
            )
            .await
            .map_err(|e| amqp(&self.shown, &format!("cannot publish {}", message.task), e))?
            .await
            .map_err(|e| amqp(&self.shown, &format!("cannot publish {}", message.task), e))?;
        match confirm {
            Confirmation::Nack(_) => Err(Error::Broker(format!(
                "the broker at {} refused the message of {} (nack)",
                self.shown, message.task
            ))),
            _ => Ok(()),
        }
    }

    /// A consumer of `queue` on a channel of its own, receiving at most `prefetch`
    /// messages not yet acknowledged.
    pub(crate) async fn consume(
        &self,
        queue: &str,
        prefetch: u16,
        tag: &str,
    ) -> Result<(Channel, Consumer), Error> {
        let channel = self
            .connection
            .create_channel()
            .await
            .map_err(|e| amqp(&self.shown, "cannot open a channel", e))?;
        self.declare_on(&channel, queue).await?;
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| amqp(&self.shown, "cannot set the prefetch count", e))?;
        let consumer = channel
            .basic_consume(
                queue.into(),
                tag.into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| amqp(&self.shown, &format!("cannot consume {queue}"), e))?;
        Ok((channel, consumer))
    }

    /// Drops every message waiting in `queue`; returns how many.
    pub(crate) async fn purge(&self, queue: &str) -> Result<u32, Error> {
        self.declare_on(&self.publisher, queue).await?;
        self.publisher
            .queue_purge(queue.into(), lapin::options::QueuePurgeOptions::default())
            .await
            .map_err(|e| amqp(&self.shown, &format!("cannot purge {queue}"), e))
    }

    /// Whether the connection and the publishing channel are still open.
    pub(crate) fn is_open(&self) -> bool {
        self.connection.status().connected() && self.publisher.status().connected()
    }

    /// Closes the connection.
    pub(crate) async fn close(&self) {
        let _ = self.connection.close(200, "bye".into()).await;
    }
}
