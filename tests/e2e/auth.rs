//! Credentials: the service principal, ready-made tokens, and every way they go wrong (exit 3).

use std::time::Duration;

use adxconn_emulator::demo;

use crate::support::{database_flags, TestEnv};

fn list() -> Vec<String> {
    let mut args = vec!["list".to_string()];
    args.extend(database_flags());
    args
}

#[test]
fn service_principal_gets_one_token_per_run() {
    let env = TestEnv::new();
    env.run(&list()).expect(0);
    let tokens: Vec<_> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.is_token_request())
        .collect();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0]
        .path()
        .starts_with(&format!("/{}/oauth2/v2.0/token", demo::TENANT)));
    assert!(tokens[0]
        .body
        .contains("scope=https%3A%2F%2Fmanagement.azure.com%2F.default"));
}

#[test]
fn missing_credentials_exit_3_and_send_nothing() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_SECRET", None);
    let run = env.run(&list());
    run.expect(3);
    assert!(run.stderr.contains("AZURE_CLIENT_SECRET"), "{}", run.stderr);
    assert!(env.emulator.requests().is_empty());
}

#[test]
fn wrong_secret_exits_3_with_a_hint() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_SECRET", Some("wrong-secret-value-123"));
    let run = env.run(&list());
    run.expect(3);
    assert!(run.stderr.contains("AADSTS7000215"), "{}", run.stderr);
    assert!(
        run.stderr.contains("hint: the client secret is wrong"),
        "{}",
        run.stderr
    );
    assert!(
        env.arm_requests().is_empty(),
        "no ARM request without a token"
    );
}

#[test]
fn unknown_application_exits_3() {
    let mut env = TestEnv::new();
    env.set_env(
        "AZURE_CLIENT_ID",
        Some("99999999-9999-4999-8999-999999999999"),
    );
    let run = env.run(&list());
    run.expect(3);
    assert!(run.stderr.contains("AZURE_CLIENT_ID"), "{}", run.stderr);
}

#[test]
fn reader_cannot_write_exit_3_with_the_role_to_grant() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_ID", Some(demo::READER_CLIENT_ID));
    env.set_env("AZURE_CLIENT_SECRET", Some(demo::READER_CLIENT_SECRET));
    env.run(&list()).expect(0);
    let mut delete = vec!["delete".to_string(), "--yes".into()];
    delete.extend(crate::support::target("any"));
    let run = env.run(&delete);
    run.expect(3);
    assert!(run.stderr.contains("AuthorizationFailed"), "{}", run.stderr);
    assert!(run.stderr.contains("Contributor"), "{}", run.stderr);
}

#[test]
fn ready_made_token_is_used_instead_of_the_service_principal() {
    let mut env = TestEnv::new();
    let token = env
        .emulator
        .mint_token(demo::TENANT, demo::CLIENT_ID, Duration::from_secs(3600));
    env.set_env("ADXCONN_ACCESS_TOKEN", Some(&token));
    env.set_env("AZURE_CLIENT_SECRET", None);
    env.run(&list()).expect(0);
    assert!(env
        .emulator
        .requests()
        .iter()
        .all(|r| !r.is_token_request()));
}

#[test]
fn expired_or_foreign_tokens_exit_3() {
    let mut env = TestEnv::new();
    let expired = env
        .emulator
        .mint_expired_token(demo::TENANT, demo::CLIENT_ID);
    env.set_env("ADXCONN_ACCESS_TOKEN", Some(&expired));
    let run = env.run(&list());
    run.expect(3);
    assert!(
        run.stderr.contains("ExpiredAuthenticationToken"),
        "{}",
        run.stderr
    );

    let foreign = env.emulator.mint_token(
        demo::OTHER_TENANT,
        demo::CLIENT_ID,
        Duration::from_secs(3600),
    );
    env.set_env("ADXCONN_ACCESS_TOKEN", Some(&foreign));
    let run = env.run(&list());
    run.expect(3);
    assert!(
        run.stderr.contains("InvalidAuthenticationTokenTenant"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("AZURE_TENANT_ID"), "{}", run.stderr);
}

#[test]
fn secret_from_a_file_or_stdin() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_SECRET", None);
    let dir = std::env::temp_dir().join(format!("adxconn-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secret");
    std::fs::write(&file, format!("{}\n", demo::CLIENT_SECRET)).unwrap();
    let mut args = list();
    args.extend([
        "--client-secret-file".to_string(),
        file.display().to_string(),
    ]);
    env.run(&args).expect(0);

    let mut stdin_args = list();
    stdin_args.extend(["--client-secret-file".to_string(), "-".to_string()]);
    env.run_with_stdin(&stdin_args, Some(&format!("{}\n", demo::CLIENT_SECRET)))
        .expect(0);

    let mut missing = list();
    missing.extend([
        "--client-secret-file".to_string(),
        dir.join("nope").display().to_string(),
    ]);
    let run = env.run(&missing);
    run.expect(2);
    assert!(
        run.stderr.contains("--client-secret-file"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn debug_traces_redact_every_credential() {
    let env = TestEnv::new();
    let mut args = list();
    args.push("--debug".into());
    let run = env.run(&args);
    run.expect(0);
    assert!(run.stderr.contains("debug: > GET "), "{}", run.stderr);
    assert!(
        run.stderr.contains("authorization: Bearer [redacted]"),
        "{}",
        run.stderr
    );
    // (the support module also checks that neither the secret nor the token appears)
}

#[test]
fn a_dead_token_endpoint_is_unreachable_not_refused_exit_7() {
    let mut env = TestEnv::new();
    let port = crate::support::closed_port();
    env.set_env(
        "AZURE_AUTHORITY_HOST",
        Some(&format!("https://127.0.0.1:{port}")),
    );
    let run = env.run(&list());
    run.expect(7);
    assert!(
        run.stderr.contains("could not reach") && run.stderr.contains(&format!("127.0.0.1:{port}")),
        "the endpoint is named: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: check the network path"),
        "{}",
        run.stderr
    );
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    let mut env = TestEnv::new();
    env.set_env(
        "ADXCONN_ARM_ENDPOINT",
        Some("http://management.example.com"),
    );
    let run = env.run(&list());
    run.expect(2);
    assert!(
        run.stderr.contains("ADXCONN_ARM_ENDPOINT"),
        "{}",
        run.stderr
    );
    assert!(env.emulator.requests().is_empty());
}

/// A minimal HTTPS forward proxy (HTTP CONNECT) that records the targets it tunnels to.
fn connect_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let target = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                // Skip the rest of the request head.
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                log.lock().unwrap().push(format!(
                    "{} {target}",
                    line.split_whitespace().next().unwrap_or_default()
                ));
                let Ok(upstream) = TcpStream::connect(&target) else {
                    return;
                };
                let mut client_write = client.try_clone().unwrap();
                client_write
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let mut upstream_read = upstream.try_clone().unwrap();
                let mut upstream_write = upstream;
                let forward = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut reader, &mut upstream_write);
                    let _ = upstream_write.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut upstream_read, &mut client_write);
                let _ = forward.join();
            });
        }
    });
    (url, seen)
}

#[test]
fn https_proxy_is_honoured_for_arm_and_the_token_endpoint() {
    let mut env = TestEnv::new();
    let (proxy, seen) = connect_proxy();
    env.set_env("HTTPS_PROXY", Some(&proxy));
    env.run(&list()).expect(0);
    let authority = env
        .emulator
        .url()
        .trim_start_matches("https://")
        .to_string();
    let tunnels = seen.lock().unwrap().clone();
    assert!(!tunnels.is_empty(), "nothing went through the proxy");
    assert!(
        tunnels.iter().all(|t| t == &format!("CONNECT {authority}")),
        "{tunnels:?}"
    );
    // The token request and the ARM request both arrived, through the tunnel.
    assert!(env.emulator.requests().iter().any(|r| r.is_token_request()));
    assert_eq!(env.count("GET", "/dataConnections"), 1);
}
