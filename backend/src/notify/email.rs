//! E-mail over SMTP (lettre): implicit TLS, STARTTLS, or plain for a relay on
//! the same host. Messages are plain text with links to the portal.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::authentication::Credentials,
};

use super::{NotifyConfig, Secret, notice::Notice};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpSecurity {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// No encryption: only for a relay on the same host or a test server.
    None,
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: Mailbox,
    pub timeout: Duration,
}

impl EmailConfig {
    /// A plain-SMTP configuration (a local relay or a test server).
    pub fn plain(host: &str, port: u16, from: &str) -> Result<Self, String> {
        Ok(Self {
            host: host.to_owned(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: from
                .parse()
                .map_err(|error| format!("invalid sender address {from:?}: {error}"))?,
            timeout: Duration::from_secs(10),
        })
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let builder = match self.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)
                .map_err(|error| error.to_string())?,
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                    .map_err(|error| error.to_string())?
            }
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            }
        };
        let mut builder = builder.port(self.port).timeout(Some(self.timeout));
        if let Some(username) = &self.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                self.password
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default(),
            ));
        }
        Ok(builder.build())
    }

    /// Send one message. Errors are for the log and the retry, never for users.
    /// `key` names the message for good (an outbox row): it becomes the
    /// Message-ID, so that a copy sent again after a crash between sending
    /// and recording is recognised by mail systems as the same message.
    pub async fn send(
        &self,
        to: &str,
        name: &str,
        subject: &str,
        body: String,
        key: Option<&str>,
    ) -> Result<(), SendError> {
        let to: Mailbox = format!("{name} <{to}>")
            .parse()
            .or_else(|_| to.parse())
            .map_err(|error| SendError::Permanent(format!("invalid recipient address: {error}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(key.map(|key| format!("<{key}@{}>", self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|error| SendError::Permanent(format!("cannot build the message: {error}")))?;
        let transport = self.transport().map_err(SendError::Temporary)?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(SendError::Permanent(error.to_string())),
            Err(error) => Err(SendError::Temporary(error.to_string())),
        }
    }
}

/// Why a message was not sent: worth retrying, or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    Temporary(String),
    Permanent(String),
}

/// Subject and plain-text body of a notice.
pub fn render(notice: &Notice, kind: &str, config: &NotifyConfig) -> (String, String) {
    let subject = format!("[Gatehouse] {}", notice.headline);
    let mut body = format!("{}\n\n", notice.headline);
    if let Some(why) = &notice.why_you {
        body.push_str(&format!("{why}\n\n"));
    }
    let mut line = |label: &str, value: &str| {
        if !value.is_empty() {
            body.push_str(&format!("{label:<15} {value}\n"));
        }
    };
    line("Request", &format!("#{}", notice.request_id));
    line("Status", &notice.status);
    line("Requester", &notice.requester);
    line("Grantee", &notice.grantee);
    line("Integrations", &notice.integrations.join(", "));
    line("Resource types", &notice.resource_types.join(", "));
    let mut resources = notice.resources.join(", ");
    let more = notice.item_count - notice.resources.len() as i64;
    if more > 0 {
        resources.push_str(&format!(" and {more} more"));
    }
    line("Resources", &resources);
    line("Duration", &notice.duration);
    if let Some(expires_at) = notice
        .expires_at
        .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
    {
        line(
            "Ends at",
            &format!("{} UTC", gatehouse_shared::duration::minute(expires_at)),
        );
    }
    line("Justification", &notice.justification);
    if let Some(ticket) = &notice.ticket {
        line("Ticket", ticket);
    }
    if let Some(reason) = &notice.reason {
        line("Reason", reason);
    }
    line("Access flow", &notice.flow);
    body.push('\n');
    let (what, path) = if kind == super::notice::APPROVAL {
        if notice.mfa_required {
            (
                "This access flow requires MFA: approve or reject in the portal",
                "/approvals",
            )
        } else {
            ("Approve or reject", "/approvals")
        }
    } else if kind == super::notice::FULFIL {
        ("Mark it done under To do by hand", "/approvals")
    } else if notice.actions.extend {
        ("Extend or review your access", "/my-requests")
    } else if notice.actions.request_again {
        ("Request it again", "/my-requests")
    } else if notice.actions.access_details {
        ("Access details", "/my-access")
    } else {
        ("See the request", "/my-requests")
    };
    body.push_str(&format!("{what}: {}\n", config.link(path)));
    body.push_str("\nYou get these messages because of your Gatehouse notification settings.\n");
    (subject, body)
}
