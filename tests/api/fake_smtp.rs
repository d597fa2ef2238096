//! A small SMTP server for the tests: it speaks the protocol (RFC 5321: greeting, EHLO, MAIL,
//! RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT) over a real socket, keeps every message it
//! accepts, and can be taken down and brought back on the same port to play an outage.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One accepted message: its envelope and its raw text.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

pub struct FakeSmtp {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    server: Option<JoinHandle<()>>,
}

impl FakeSmtp {
    pub async fn start() -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("its address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let server = Some(serve(listener, received.clone()));
        FakeSmtp {
            addr,
            received,
            server,
        }
    }

    /// Stops listening: connections are refused, as when a relay is down.
    pub fn take_down(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn bring_back(&mut self) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("the same port again");
        self.server = Some(serve(listener, self.received.clone()));
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.take_down();
    }
}

fn serve(listener: TcpListener, received: Arc<Mutex<Vec<Received>>>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(session(stream, received.clone()));
        }
    })
}

async fn session(stream: TcpStream, received: Arc<Mutex<Vec<Received>>>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let reply = async |writer: &mut tokio::net::tcp::OwnedWriteHalf, text: &str| {
        writer.write_all(text.as_bytes()).await.is_ok()
    };
    if !reply(&mut writer, "220 fake-smtp ESMTP ready\r\n").await {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-fake-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            from = command[command.len() - rest.len()..].trim().to_owned();
            to.clear();
            "250 OK\r\n"
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            to.push(command[command.len() - rest.len()..].trim().to_owned());
            "250 OK\r\n"
        } else if upper == "DATA" {
            if !reply(&mut writer, "354 end with <CRLF>.<CRLF>\r\n").await {
                return;
            }
            let mut data = Vec::new();
            loop {
                let mut raw = Vec::new();
                match reader.read_until(b'\n', &mut raw).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if raw == b".\r\n" {
                    break;
                }
                // Dot-stuffing: a line starting with a dot was sent with a second one.
                let line = raw.strip_prefix(b".").unwrap_or(&raw);
                data.extend_from_slice(line);
            }
            received.lock().expect("not poisoned").push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            "250 OK queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            "250 OK\r\n"
        } else if upper == "QUIT" {
            let _ = reply(&mut writer, "221 bye\r\n").await;
            return;
        } else {
            "502 command not implemented\r\n"
        };
        if !reply(&mut writer, answer).await {
            return;
        }
    }
}
