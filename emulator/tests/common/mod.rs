//! A minimal HTTP/1.1 client on rustls that trusts only a given CA, shared
//! by the end-to-end tests of the emulator and the replay.

#![allow(dead_code, reason = "each test crate uses a different part")]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use adxconn_emulator::{demo, Emulator, World};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

pub type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn error_code(&self) -> Value {
        self.json()["error"]["code"].clone()
    }
}

/// One keep-alive connection to the emulator.
pub struct Client {
    stream: BufReader<Tls>,
    host: String,
}

impl Client {
    pub fn connect(emulator: &Emulator) -> std::io::Result<Client> {
        Client::connect_to(emulator.url(), emulator.ca_file())
    }

    /// Connects to `url` (`https://127.0.0.1:PORT`) trusting only `ca_file`.
    pub fn connect_to(url: &str, ca_file: &Path) -> std::io::Result<Client> {
        let pem = std::fs::read(ca_file)?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots
                .add(cert.map_err(std::io::Error::other)?)
                .map_err(std::io::Error::other)?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let host = url.trim_start_matches("https://").to_owned();
        let tcp = TcpStream::connect(&host)?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let name = ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
        let conn =
            rustls::ClientConnection::new(Arc::new(config), name).map_err(std::io::Error::other)?;
        Ok(Client {
            stream: BufReader::new(rustls::StreamOwned::new(conn, tcp)),
            host,
        })
    }

    /// Sends a request; `Err` when the server closed without answering.
    pub fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<Response> {
        let mut response = self.send_head(method, target, headers, body)?;
        let length: usize = response
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body)?;
        response.body = String::from_utf8_lossy(&body).into_owned();
        Ok(response)
    }

    /// Sends a request and reads only the status line and headers (the
    /// returned body is empty); the body is left to read from
    /// [`Client::reader`].
    pub fn send_head(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<Response> {
        let target = target
            .strip_prefix(&format!("https://{}", self.host))
            .unwrap_or(target);
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        stream.flush()?;

        let mut status_line = String::new();
        if self.stream.read_line(&mut status_line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        Ok(Response {
            status,
            headers,
            body: String::new(),
        })
    }

    /// The connection, positioned after whatever was read so far.
    pub fn reader(&mut self) -> &mut BufReader<Tls> {
        &mut self.stream
    }

    /// Replaces the read timeout (10 s by default).
    pub fn set_read_timeout(&self, timeout: Duration) -> std::io::Result<()> {
        self.stream.get_ref().sock.set_read_timeout(Some(timeout))
    }
}

pub fn token(client: &mut Client, tenant: &str, client_id: &str, secret: &str) -> Response {
    let form = format!(
        "grant_type=client_credentials&client_id={client_id}&client_secret={}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
        secret.replace(' ', "+")
    );
    client
        .send(
            "POST",
            &format!("/{tenant}/oauth2/v2.0/token"),
            &[("content-type", "application/x-www-form-urlencoded")],
            &form,
        )
        .unwrap_or_else(|e| panic!("token request: {e}"))
}

pub fn base() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}/databases/{}",
        demo::SUBSCRIPTION,
        demo::RESOURCE_GROUP,
        demo::CLUSTER,
        demo::DATABASE
    )
}

pub fn hub() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-src/providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub",
        demo::SUBSCRIPTION
    )
}

pub struct Arm<'a> {
    pub client: Client,
    pub bearer: String,
    _emulator: &'a Emulator,
}

impl Arm<'_> {
    pub fn new(emulator: &Emulator) -> Arm<'_> {
        let bearer = format!(
            "Bearer {}",
            emulator.mint_token(demo::TENANT, demo::CLIENT_ID, Duration::from_secs(600))
        );
        Arm {
            client: Client::connect(emulator).unwrap_or_else(|e| panic!("connect: {e}")),
            bearer,
            _emulator: emulator,
        }
    }

    pub fn call(&mut self, method: &str, target: &str, body: &str) -> Response {
        self.call_with(method, target, body, &[])
    }

    /// Like [`Arm::call`], with more headers.
    pub fn call_with(
        &mut self,
        method: &str,
        target: &str,
        body: &str,
        extra: &[(&str, &str)],
    ) -> Response {
        let bearer = self.bearer.clone();
        let mut headers = vec![
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        self.client
            .send(method, target, &headers, body)
            .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
    }

    pub fn poll_until_done(&mut self, url: &str) -> Response {
        for _ in 0..100 {
            let r = self.call("GET", url, "");
            assert_eq!(r.status, 200, "{}", r.body);
            let status = r.json()["status"].as_str().unwrap_or_default().to_owned();
            if ["Succeeded", "Failed", "Canceled"].contains(&status.as_str()) {
                return r;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("operation did not finish")
    }

    /// GETs a `Location` status URL until it stops answering 202, and
    /// returns that answer: the operation's outcome.
    pub fn poll_location(&mut self, url: &str) -> Response {
        for _ in 0..100 {
            let r = self.call("GET", url, "");
            if r.status != 202 {
                return r;
            }
            assert!(r.header("location").is_some(), "202 without Location");
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("operation did not finish")
    }

    /// Runs a `dataConnectionValidation` of `body` in the demo database the
    /// way a client must (202, then its `Location` URL), and returns the
    /// result's error messages.
    pub fn validate(&mut self, body: &Value) -> Vec<String> {
        let url = format!(
            "{}/dataConnectionValidation?api-version={}",
            base(),
            adxconn_emulator::API_VERSION
        );
        let accepted = self.call("POST", &url, &body.to_string());
        assert_eq!(accepted.status, 202, "{}", accepted.body);
        let location = accepted.header("location").unwrap_or_default().to_owned();
        let result = self.poll_location(&location);
        assert_eq!(result.status, 200, "{}", result.body);
        result.json()["value"]
            .as_array()
            .unwrap_or_else(|| panic!("no value: {}", result.body))
            .iter()
            .map(|f| f["errorMessage"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

pub fn start() -> Emulator {
    let emulator = Emulator::start(World::demo()).unwrap_or_else(|e| panic!("start: {e}"));
    emulator.set_operation_duration(Duration::from_millis(50));
    emulator
}
