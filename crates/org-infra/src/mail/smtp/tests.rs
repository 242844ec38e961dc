//! [`SmtpMailer`] against a minimal SMTP server on a local port (no TLS).
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::*;

/// What the fake server saw of one session.
#[derive(Debug, Default)]
struct Session {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// Serves one SMTP session on a free port; `rcpt_reply` answers every `RCPT`.
async fn fake_smtp(rcpt_reply: &'static str) -> (u16, JoinHandle<Session>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        let mut session = Session::default();
        write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut line = String::new();
        while lines.read_line(&mut line).await.unwrap() > 0 {
            let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
            let reply = match verb.as_str() {
                "EHLO" | "HELO" => "250 fake\r\n",
                "MAIL" => {
                    session.mail_from = line.trim_end().to_owned();
                    "250 ok\r\n"
                }
                "RCPT" => {
                    session.rcpt_to.push(line.trim_end().to_owned());
                    rcpt_reply
                }
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await.unwrap();
                    while !session.data.ends_with("\r\n.\r\n") {
                        if lines.read_line(&mut session.data).await.unwrap() == 0 {
                            break;
                        }
                    }
                    "250 queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => "502 not implemented\r\n",
            };
            write.write_all(reply.as_bytes()).await.unwrap();
            line.clear();
        }
        session
    });
    (port, server)
}

fn invitation() -> Mail {
    Mail {
        to: "bob@example.com".to_owned(),
        subject: "You are invited to Acme".to_owned(),
        body: "Accept: http://localhost:8080/invitations/accept?token=s3cr3t\n".to_owned(),
    }
}

#[tokio::test]
async fn delivers_a_plain_text_message() {
    let (port, server) = fake_smtp("250 ok\r\n").await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "orgd <noreply@localhost>",
    )
    .unwrap();
    mailer.send(&invitation()).await.unwrap();
    let session = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.mail_from, "MAIL FROM:<noreply@localhost>");
    assert_eq!(session.rcpt_to, ["RCPT TO:<bob@example.com>"]);
    let data = &session.data;
    assert!(
        data.contains("From: orgd <noreply@localhost>\r\n"),
        "{data}"
    );
    assert!(data.contains("To: bob@example.com\r\n"), "{data}");
    assert!(
        data.contains("Subject: You are invited to Acme\r\n"),
        "{data}"
    );
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(
        data.contains("Message-ID: <") && data.contains("@localhost>\r\n"),
        "{data}"
    );
    assert!(
        data.contains("\r\n\r\nAccept: http://localhost:8080/invitations/accept?token=s3cr3t"),
        "{data}"
    );
}

#[tokio::test]
async fn a_refused_recipient_is_unavailable() {
    let (port, _server) = fake_smtp("550 no such user\r\n").await;
    let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "noreply@localhost").unwrap();
    let err = mailer.send(&invitation()).await.unwrap_err();
    assert!(matches!(err, DomainError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_relay_is_unavailable_at_once() {
    // A port that was free a moment ago: connecting is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "noreply@localhost").unwrap();
    let sent = tokio::time::timeout(Duration::from_secs(5), mailer.send(&invitation()))
        .await
        .unwrap();
    assert!(matches!(sent, Err(DomainError::Unavailable(_))), "{sent:?}");
}

#[test]
fn malformed_settings_are_refused_without_showing_the_password() {
    for url in [
        "not a url",
        "ftp://u:hunter2@host",
        "smtp://u:hunter2@host?tls=sometimes",
    ] {
        let err = SmtpMailer::new(url, "noreply@localhost").unwrap_err();
        assert!(!format!("{err:#}").contains("hunter2"), "{err:#}");
    }
    assert!(SmtpMailer::new("smtp://host", "not an address").is_err());
}

#[test]
fn the_endpoint_has_no_credentials() {
    let mailer = SmtpMailer::new(
        "smtps://me%40example.com:hunter2@mail.example.com:465",
        "orgd <noreply@example.com>",
    )
    .unwrap();
    assert_eq!(mailer.endpoint(), "smtps://mail.example.com:465");
    assert!(!format!("{mailer:?}").contains("hunter2"));
    let starttls = SmtpMailer::new("smtp://u:p@relay:587?tls=required", "a@b.c").unwrap();
    assert_eq!(starttls.endpoint(), "smtp://relay:587?tls=required");
}
