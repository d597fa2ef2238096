//! How a mail leaves: an SMTP relay through lettre, or in development a folder of `.eml` files.

use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{MailConfig, MailTransportConfig};

/// What became of one send.
#[derive(Debug)]
pub enum SendOutcome {
    /// Accepted by the relay (or written): its id or file name.
    Sent(String),
    /// The relay refused this mail for now (4xx): try again later, counting an attempt.
    Retry(String),
    /// The relay refused this mail for good (5xx), or the mail cannot be built.
    Rejected(String),
    /// The relay could not be reached: not this mail's fault, no attempt spent.
    Unavailable(String),
}

/// The configured transport and sender.
#[derive(Clone)]
pub struct MailSender {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// A mail's text: subject, plain text, and the same text as HTML.
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl MailSender {
    pub fn from_config(config: &MailConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|cause| format!("RELAIS_MAIL_FROM: {cause}"))?;
        let transport = match &config.transport {
            MailTransportConfig::Smtp {
                host,
                port,
                implicit_tls,
                require_tls,
                user,
                password,
            } => {
                let parameters = TlsParameters::new(host.clone())
                    .map_err(|cause| format!("RELAIS_SMTP_URL: {cause}"))?;
                let tls = match (implicit_tls, require_tls) {
                    (true, _) => Tls::Wrapper(parameters),
                    (false, true) => Tls::Required(parameters),
                    (false, false) => Tls::Opportunistic(parameters),
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    .port(*port)
                    .tls(tls)
                    .timeout(Some(std::time::Duration::from_secs(20)));
                if let Some(user) = user {
                    let password = password
                        .as_ref()
                        .map(|password| password.expose_secret().to_owned())
                        .unwrap_or_default();
                    builder = builder.credentials(Credentials::new(user.clone(), password));
                }
                Transport::Smtp(builder.build())
            }
            MailTransportConfig::Folder(folder) => {
                std::fs::create_dir_all(folder)
                    .map_err(|cause| format!("RELAIS_MAIL_DIR: {}: {cause}", folder.display()))?;
                Transport::Folder(AsyncFileTransport::new(folder), folder.clone())
            }
        };
        Ok(Self { from, transport })
    }

    /// Sends `letter` as a plain-text and HTML mail.
    pub async fn send(&self, letter: Letter) -> SendOutcome {
        let to: Mailbox = match letter.to.parse() {
            Ok(to) => to,
            Err(cause) => return SendOutcome::Rejected(format!("recipient: {cause}")),
        };
        let html = html_of(&letter.text);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject)
            .multipart(MultiPart::alternative_plain_html(letter.text, html));
        let message = match message {
            Ok(message) => message,
            Err(cause) => return SendOutcome::Rejected(cause.to_string()),
        };
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(response) => SendOutcome::Sent(response.message().collect::<Vec<_>>().join(" ")),
                Err(error) if error.is_permanent() => SendOutcome::Rejected(error.to_string()),
                Err(error) if error.is_transient() => SendOutcome::Retry(error.to_string()),
                Err(error) => SendOutcome::Unavailable(error.to_string()),
            },
            Transport::Folder(folder, path) => match folder.send(message).await {
                Ok(id) => {
                    let file = path.join(format!("{id}.eml"));
                    tracing::info!(file = %file.display(), "mail written (no SMTP relay configured)");
                    SendOutcome::Sent(id)
                }
                Err(error) => SendOutcome::Unavailable(error.to_string()),
            },
        }
    }
}

/// The plain text as HTML: each paragraph a `<p>`, every character escaped, links clickable.
/// Nothing loaded from elsewhere, nothing that tells anyone the mail was opened.
fn html_of(text: &str) -> String {
    let paragraphs: String = text
        .split("\n\n")
        .map(|paragraph| {
            let lines: Vec<String> = paragraph
                .lines()
                .map(|line| {
                    let escaped = html_escape::encode_text(line).into_owned();
                    if line.starts_with("https://") || line.starts_with("http://") {
                        let href = html_escape::encode_double_quoted_attribute(line);
                        format!("<a href=\"{href}\">{escaped}</a>")
                    } else {
                        escaped
                    }
                })
                .collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect();
    format!("<!DOCTYPE html><html><body>{paragraphs}</body></html>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_links_only_whole_lines() {
        let html = html_of("Bonjour <Camille> & co,\n\nhttps://relais.test/a?b=1&c=\"2\"\nfin");
        assert!(
            html.contains("<p>Bonjour &lt;Camille&gt; &amp; co,</p>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://relais.test/a?b=1&amp;c=&quot;2&quot;\">"),
            "{html}"
        );
        assert!(!html.contains("<img"), "{html}");
    }
}
