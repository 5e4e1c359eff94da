//! Hostile names and server text (issue: trust under a hostile network), items 4, 5, 7, 10, 12
//! and 13: `.`/`..` and nested-provider ids, scrubbing, a lost DELETE answer, terminal escapes,
//! the dry run, and typos that must never read as success.

use std::time::Duration;

use adxconn_emulator::demo;
use serde_json::{json, Value};

use crate::support::{
    database_flags, eventhub_id, iothub_id, partner_eventhub_id, storage_id, target, Fault,
    FaultRule, Run, TestEnv,
};

const SUB: &str = demo::SUBSCRIPTION;

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// `verb…` followed by the demo database flags with `flag` replaced by `value`, and `extra`.
fn command(verb: &[&str], flag: &str, value: &str, extra: &[&str]) -> Vec<String> {
    let mut args = strings(verb);
    let mut flags = database_flags();
    flags.extend(["-n".to_string(), "conn".to_string()]);
    let at = flags
        .iter()
        .position(|f| f == flag)
        .unwrap_or_else(|| panic!("no flag {flag}"));
    flags[at + 1] = value.to_string();
    args.extend(flags);
    args.extend(strings(extra));
    args
}

/// `create <kind>` of `conn` in the demo database from `source` (the kind follows from
/// `source_flag`), at an explicit location, with `extra` flags.
fn create_from(source_flag: &str, source: &str, extra: &[&str]) -> Vec<String> {
    let kind = match source_flag {
        "--iothub-id" => "iothub",
        "--storage-account-id" => "eventgrid",
        _ => "eventhub",
    };
    let mut args = strings(&["create", kind]);
    args.extend(target("conn"));
    match kind {
        "iothub" => args.extend(strings(&["--shared-access-policy", "registryRead"])),
        "eventgrid" => args.extend(["--eventhub-id".to_string(), eventhub_id("h")]),
        _ => {}
    }
    if source_flag == "--managed-identity" {
        args.extend(["--eventhub-id".to_string(), eventhub_id("h")]);
    }
    args.extend([source_flag.to_string(), source.to_string()]);
    args.extend(strings(&["--location", "westeurope"]));
    args.extend(strings(extra));
    args
}

/// The data connection id of `name` in the demo database, with `resource_group` and `middle`
/// (the part between the resource group and `/providers/Microsoft.Kusto`) as given.
fn connection_id(resource_group: &str, middle: &str, name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{resource_group}{middle}/providers/Microsoft.Kusto/clusters/{}/databases/{}/dataConnections/{name}",
        demo::CLUSTER,
        demo::DATABASE
    )
}

/// Every bearer token the emulator saw, main and auxiliary.
fn tokens_seen(env: &TestEnv) -> Vec<String> {
    let mut tokens = Vec::new();
    for request in env.emulator.requests() {
        for (name, value) in &request.headers {
            if name == "authorization" || name == "x-ms-authorization-auxiliary" {
                for entry in value.split(',') {
                    if let Some(token) = entry.trim().strip_prefix("Bearer ") {
                        tokens.push(token.trim().to_string());
                    }
                }
            }
        }
    }
    tokens
}

/// Problems with `run`'s output: any of `needles` present in stdout or stderr, or `eyJ`.
fn leaks(run: &Run, needles: &[(&str, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (what, needle) in needles {
        if needle.len() >= 8 && (run.stdout.contains(needle) || run.stderr.contains(needle)) {
            found.push(format!("{what} leaked"));
        }
    }
    if run.stdout.contains("eyJ") || run.stderr.contains("eyJ") {
        found.push("something starting `eyJ` is in the output".to_string());
    }
    found
}

/// The value of `client_secret` in the token request forms the emulator received, as sent.
fn secrets_in_token_forms(env: &TestEnv) -> Vec<String> {
    env.emulator
        .requests()
        .iter()
        .filter(|r| r.is_token_request())
        .flat_map(|r| {
            r.body
                .split('&')
                .filter_map(|pair| pair.strip_prefix("client_secret="))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn form_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn json_escaped(text: &str) -> String {
    serde_json::to_string(text)
        .unwrap()
        .trim_matches('"')
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Item 4: `.` and `..`, nested providers, bidi characters, ids without a resource group.
// ---------------------------------------------------------------------------------------------

/// What the message must name, the command line, and an environment variable to set.
type Case<'a> = (&'a str, Vec<String>, Option<(&'a str, &'a str)>);

#[test]
fn dot_names_nested_providers_and_bidi_ids_exit_2_naming_the_flag_before_any_request() {
    let mut env = TestEnv::new();
    let partner_ns = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-sources/providers/Microsoft.EventHub/namespaces"
    );
    let nested_provider = connection_id("rg", "/providers/Microsoft.Foo/bars/x", "n");
    let cases: Vec<Case> = vec![
        ("--name", command(&["show"], "-n", "..", &[]), None),
        ("--name", command(&["show"], "-n", ".", &[]), None),
        ("--name", command(&["delete"], "-n", ".", &["--yes"]), None),
        ("--name", command(&["delete"], "-n", "..", &["--yes"]), None),
        ("--name", command(&["wait"], "-n", "..", &["--timeout", "5s"]), None),
        ("--name", command(&["create", "eventhub"], "-n", "..", &["--eventhub-id", &eventhub_id("h")]), None),
        ("--database", command(&["show"], "--database", "..", &[]), None),
        ("--database", command(&["show"], "--database", ".", &[]), None),
        ("--database", command(&["delete"], "--database", "..", &["--yes"]), None),
        ("--database", {
            let mut list = strings(&["list"]);
            list.extend(database_flags());
            let at = list.iter().position(|a| a == demo::DATABASE).unwrap();
            list[at] = "..".to_string();
            list
        }, None),
        ("--resource-group", command(&["show"], "-g", "..", &[]), None),
        ("--resource-group", command(&["delete"], "-g", ".", &["--yes"]), None),
        ("--cluster", command(&["show"], "--cluster", "..", &[]), None),
        ("AZURE_TENANT_ID", command(&["show"], "-n", "conn", &[]), Some(("AZURE_TENANT_ID", ".."))),
        ("AZURE_TENANT_ID", command(&["delete"], "-n", "conn", &["--yes"]), Some(("AZURE_TENANT_ID", "."))),
        ("--tenant", command(&["show"], "-n", "conn", &["--tenant", ".."]), None),
        ("--aux-tenant", command(&["show"], "-n", "conn", &["--aux-tenant", ".."]), None),
        ("--aux-tenant", create_from("--eventhub-id", &partner_eventhub_id(), &["--aux-tenant", "."]), None),
        ("--aux-tenant", create_from("--eventhub-id", &partner_eventhub_id(), &["--aux-tenant", "contoso..com"]), None),
        ("ADXCONN_AUX_TENANTS", create_from("--eventhub-id", &partner_eventhub_id(), &[]), Some(("ADXCONN_AUX_TENANTS", ".."))),
        ("--id", strings(&["show", "--id", &nested_provider]), None),
        ("--id", strings(&["delete", "--yes", "--id", &nested_provider]), None),
        ("--id", strings(&["wait", "--timeout", "5s", "--id", &nested_provider]), None),
        ("--id", strings(&["show", "--id", &connection_id("..", "", "n")]), None),
        ("--id", strings(&["show", "--id", &connection_id("rg", "", "..")]), None),
        ("--id", strings(&["delete", "--yes", "--id", &connection_id("rg", "", ".")]), None),
        ("--id", strings(&["show", "--id", &connection_id("rg", "", "n").replace(demo::DATABASE, "..")]), None),
        ("--id", strings(&["show", "--id", &connection_id("rg", "", "n").replace("/resourceGroups/rg", "")]), None),
        ("--id", strings(&["show", "--id", &connection_id("rg", "", "n\u{202e}")]), None),
        ("--eventhub-id", create_from("--eventhub-id", &format!("{partner_ns}/../eventhubs/.."), &[]), None),
        ("--eventhub-id", create_from("--eventhub-id", &format!("{partner_ns}/ns-telemetry/eventhubs/.."), &[]), None),
        ("--eventhub-id", create_from("--eventhub-id", &format!("{partner_ns}/./eventhubs/h"), &[]), None),
        ("--eventhub-id", create_from("--eventhub-id", &eventhub_id("h\u{202e}gpj"), &[]), None),
        ("--eventhub-id", create_from("--eventhub-id", &eventhub_id("h").replace("ns-telemetry", "ns\u{202e}telemetry"), &[]), None),
        ("--eventhub-id", create_from("--eventhub-id", &eventhub_id("h").replace("/resourceGroups/rg-sources", ""), &[]), None),
        ("--eventhub-id", create_from("--eventhub-id", &eventhub_id("h").replace("/resourceGroups/rg-sources", "/resourceGroups/.."), &[]), None),
        ("--eventhub-id", create_from("--eventhub-id", &eventhub_id("h").replace("/providers/", "/providers/Microsoft.Foo/bars/x/providers/"), &[]), None),
        ("--iothub-id", create_from("--iothub-id", &iothub_id().replace("/resourceGroups/rg-sources", ""), &[]), None),
        ("--iothub-id", create_from("--iothub-id", &iothub_id().replace("hub-devices", ".."), &[]), None),
        ("--storage-account-id", create_from("--storage-account-id", &storage_id().replace("stlanding", "st\u{202e}landing"), &[]), None),
        ("--storage-account-id", create_from("--storage-account-id", &storage_id().replace("/resourceGroups/rg-sources", ""), &[]), None),
        ("--managed-identity", create_from("--managed-identity", &format!("/subscriptions/{SUB}/resourceGroups/rg-sources/providers/Microsoft.ManagedIdentity/userAssignedIdentities/.."), &[]), None),
        ("--managed-identity", create_from("--managed-identity", &format!("/subscriptions/{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-adx"), &[]), None),
    ];
    let mut failures = Vec::new();
    for (named, args, variable) in &cases {
        env.emulator.clear_requests();
        if let Some((key, value)) = variable {
            env.set_env(key, Some(value));
        }
        let run = env.run(args);
        if let Some((key, _)) = variable {
            match *key {
                "AZURE_TENANT_ID" => env.set_env(key, Some(demo::TENANT)),
                _ => env.set_env(key, None),
            }
        }
        let mut wrong = Vec::new();
        if run.code != 2 {
            wrong.push(format!("exited {}", run.code));
        }
        if !run.stderr.contains(named) {
            wrong.push(format!("does not name {named}"));
        }
        if run.stderr.contains("panicked") {
            wrong.push("panicked".to_string());
        }
        if run.stderr.contains('\u{202e}') || run.stdout.contains('\u{202e}') {
            wrong.push("printed a raw U+202E".to_string());
        }
        let sent = env.emulator.requests();
        if !sent.is_empty() {
            wrong.push(format!(
                "sent {} request(s): {:?}",
                sent.len(),
                sent.iter()
                    .map(|r| format!("{} {}", r.method, r.path()))
                    .collect::<Vec<_>>()
            ));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{variable:?} {args:?}: {}:\n{}",
                wrong.join(", "),
                run.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_plain_http_authority_host_exits_2_naming_it_before_any_request() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_AUTHORITY_HOST", Some("http://127.0.0.1:1"));
    let mut show = strings(&["show"]);
    show.extend(target("conn"));
    let run = env.run(&show);
    run.expect(2);
    assert!(
        run.stderr.contains("AZURE_AUTHORITY_HOST"),
        "{}",
        run.stderr
    );
    assert!(env.emulator.requests().is_empty());

    env.set_env("AZURE_AUTHORITY_HOST", None);
    let mut flag = show.clone();
    flag.extend(strings(&["--authority-host", "http://127.0.0.1:1"]));
    let run = env.run(&flag);
    run.expect(2);
    assert!(
        run.stderr.contains("AZURE_AUTHORITY_HOST") || run.stderr.contains("--authority-host"),
        "{}",
        run.stderr
    );
    assert!(env.emulator.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Item 5: servers echoing secrets and tokens back.
// ---------------------------------------------------------------------------------------------

/// A client secret whose raw, form-encoded and JSON-escaped forms all differ.
const AWKWARD_SECRET: &str = r#"s3cr+t/"quoted"\&=odd value~!"#;

/// The forms a secret may be echoed in, and as the token requests actually carried it.
fn secret_needles(env: &TestEnv, secret: &str) -> Vec<(&'static str, String)> {
    let mut needles = vec![
        ("the raw secret", secret.to_string()),
        ("the form-encoded secret", form_encoded(secret)),
        ("the JSON-escaped secret", json_escaped(secret)),
        ("the demo secret", demo::CLIENT_SECRET.to_string()),
        (
            "the form-encoded demo secret",
            form_encoded(demo::CLIENT_SECRET),
        ),
    ];
    needles.extend(
        secrets_in_token_forms(env)
            .into_iter()
            .map(|s| ("the secret as the form carried it", s)),
    );
    needles
}

fn show_conn(debug: bool) -> Vec<String> {
    let mut args = strings(&["show"]);
    args.extend(target("conn"));
    if debug {
        args.push("--debug".to_string());
    }
    args
}

#[test]
fn a_token_endpoint_echoing_the_form_never_shows_the_client_secret() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for secret in [demo::CLIENT_SECRET, AWKWARD_SECRET] {
        for status in [400, 401] {
            for debug in [false, true] {
                cases += 1;
                let mut env = TestEnv::new();
                env.set_env("AZURE_CLIENT_SECRET", Some(secret));
                env.emulator.inject(
                    FaultRule::new(Fault::Echo { status })
                        .token_endpoint()
                        .always(),
                );
                let run = env.run(&show_conn(debug));
                let mut wrong = leaks(&run, &secret_needles(&env, secret));
                if secrets_in_token_forms(&env).is_empty() {
                    wrong.push("no token request carried a client secret".to_string());
                }
                let echoed = env
                    .emulator
                    .requests()
                    .iter()
                    .filter(|r| r.is_token_request() && r.status == Some(status))
                    .count();
                if echoed == 0 {
                    wrong.push("the token endpoint never echoed".to_string());
                }
                if env.arm_requests().iter().any(|r| r.status.is_some()) {
                    wrong.push("went on to ARM without a token".to_string());
                }
                if !matches!(run.code, 1 | 3) {
                    wrong.push(format!("exited {}", run.code));
                }
                if !wrong.is_empty() {
                    failures.push(format!(
                        "secret {secret:?}, status {status}, debug {debug}: {}:\n{}",
                        wrong.join(", "),
                        run.stderr
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Entra's own error shape, quoting the form back in `error_description`: the description is
/// shown, the secret in it is not, in any of its forms.
#[test]
fn a_token_error_quoting_the_secret_is_shown_with_the_secret_redacted() {
    let mut failures = Vec::new();
    for secret in [demo::CLIENT_SECRET, AWKWARD_SECRET] {
        for debug in [false, true] {
            let mut env = TestEnv::new();
            env.set_env("AZURE_CLIENT_SECRET", Some(secret));
            let description = format!(
                "AADSTS7000215: Invalid client secret provided. Received: {} (form: client_secret={}) (json: {})",
                secret,
                form_encoded(secret),
                json_escaped(secret)
            );
            let body = json!({
                "error": "invalid_client",
                "error_description": description,
                "error_codes": [7_000_215],
            });
            env.emulator.inject(
                FaultRule::new(Fault::Reply {
                    status: 401,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: body.to_string(),
                })
                .token_endpoint()
                .always(),
            );
            let run = env.run(&show_conn(debug));
            let mut wrong = leaks(&run, &secret_needles(&env, secret));
            if !matches!(run.code, 1 | 3) {
                wrong.push(format!("exited {}", run.code));
            }
            if env
                .emulator
                .requests()
                .iter()
                .all(|r| !r.is_token_request())
            {
                wrong.push("no token request was made".to_string());
            }
            // However much of the description is shown, the secret in it is redacted.
            if run.stderr.contains("AADSTS7000215") && !run.stderr.contains("[redacted]") {
                wrong.push("the description is shown unredacted".to_string());
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "secret {secret:?}, debug {debug}: {}:\n{}",
                    wrong.join(", "),
                    run.stderr
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `args` while every ARM `method` request is answered `status` with the request echoed,
/// with and without `--debug`; returns what went wrong. The echo must reach the output (the
/// final error, or the trace) so that the scrubbing is tested at all: a 400 is not retried and
/// is shown as the error; a 500 is retried until `--timeout`, and only the trace shows it.
fn echoed_arm_requests_leak_nothing(
    args: &[String],
    method: &str,
    setup: impl Fn(&TestEnv) -> Vec<String>,
    header: &str,
) -> Vec<String> {
    let mut failures = Vec::new();
    for status in [400, 500] {
        for debug in [false, true] {
            let env = TestEnv::new();
            let file_tokens = setup(&env);
            env.emulator.inject(
                FaultRule::new(Fault::Echo { status })
                    .method(method)
                    .always(),
            );
            let mut args = args.to_vec();
            if debug {
                args.push("--debug".to_string());
            }
            let run = env.run(&args);
            let seen = tokens_seen(&env);
            let mut needles: Vec<(&str, String)> =
                seen.iter().map(|t| ("a bearer token", t.clone())).collect();
            for token in &file_tokens {
                needles.push(("the token from the file", token.clone()));
                // Its parts too: a payload or signature alone is still the token's.
                for part in token.split('.').filter(|p| p.len() >= 16) {
                    needles.push(("a part of the token from the file", part.to_string()));
                }
            }
            let mut wrong = leaks(&run, &needles);
            if run.code == 0 {
                wrong.push("exited 0".to_string());
            }
            let sent: Vec<_> = env
                .arm_requests()
                .into_iter()
                .filter(|r| r.method == method)
                .collect();
            if !sent.iter().any(|r| r.status == Some(status)) {
                wrong.push(format!("no {method} was echoed"));
            }
            if !sent.iter().all(|r| r.header(header).is_some()) {
                wrong.push(format!("a {method} did not carry {header}"));
            }
            for token in &file_tokens {
                if !seen.contains(token) {
                    wrong.push("the token from the file was never sent".to_string());
                }
            }
            let shown = status == 400 || debug;
            if shown && !run.stderr.contains(&format!("{header}: ")) {
                wrong.push(format!("the echoed `{header}` line is not shown"));
            }
            if shown && !run.stderr.contains("Bearer [redacted]") {
                wrong.push("the echoed token is not shown as `Bearer [redacted]`".to_string());
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "status {status}, debug {debug}: {}:\n{}",
                    wrong.join(", "),
                    run.stderr
                ));
            }
        }
    }
    failures
}

#[test]
fn an_arm_error_echoing_the_request_headers_never_shows_the_bearer_token() {
    // A delete retries the 500s until its deadline.
    let mut delete = strings(&["delete", "--yes", "--timeout", "1s"]);
    delete.extend(target("conn"));
    let failures = echoed_arm_requests_leak_nothing(
        &delete,
        "DELETE",
        |env| {
            env.seed_eventhub("conn", &eventhub_id("h"), "cg");
            Vec::new()
        },
        "authorization",
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_echoed_auxiliary_header_shows_neither_token() {
    let create = create_from(
        "--eventhub-id",
        &partner_eventhub_id(),
        &["--aux-tenant", demo::OTHER_TENANT, "--timeout", "1s"],
    );
    let failures = echoed_arm_requests_leak_nothing(
        &create,
        "PUT",
        |_| Vec::new(),
        "x-ms-authorization-auxiliary",
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_echoed_aux_token_from_a_file_is_never_shown() {
    let file = std::env::temp_dir()
        .join(format!("adxconn-hostile-{}", std::process::id()))
        .join("aux-echo");
    let path = file.display().to_string();
    let create = create_from(
        "--eventhub-id",
        &partner_eventhub_id(),
        &["--aux-token-file", &path, "--timeout", "1s"],
    );
    let failures = echoed_arm_requests_leak_nothing(
        &create,
        "PUT",
        |env| {
            // Signed by this emulator, for the partner's tenant; rewritten for each run.
            let token = env.emulator.mint_token(
                demo::OTHER_TENANT,
                demo::CLIENT_ID,
                Duration::from_secs(3600),
            );
            temp_file("aux-echo", &format!("{token}\n"));
            vec![token]
        },
        "x-ms-authorization-auxiliary",
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn temp_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("adxconn-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

// ---------------------------------------------------------------------------------------------
// Item 7: a DELETE whose answer is lost.
// ---------------------------------------------------------------------------------------------

fn delete_json(name: &str) -> Vec<String> {
    let mut args = strings(&["delete", "--yes", "-o", "json"]);
    args.extend(target(name));
    args
}

#[test]
fn a_delete_whose_answer_was_lost_reports_deleted_not_absent() {
    let env = TestEnv::new();
    env.seed_eventhub("doomed", &eventhub_id("h"), "cg");
    // The deletion is over at once: when adxconn looks, the connection is already gone.
    env.emulator.set_operation_duration(Duration::ZERO);
    env.emulator.inject(
        FaultRule::new(Fault::LostResponse)
            .method("DELETE")
            .times(1),
    );
    let run = env.run(&delete_json("doomed"));
    run.expect(0);
    assert_eq!(run.json()["result"], "deleted", "{}", run.stderr);
    assert!(env.stored("doomed").is_none(), "the connection is gone");
    assert!(
        run.stderr
            .contains("The answer to the DELETE was lost, but data connection `doomed` is gone"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("nothing to delete"), "{}", run.stderr);
    assert_eq!(
        env.count("DELETE", "/dataConnections/doomed"),
        1,
        "not sent again once found gone"
    );
    assert_eq!(
        env.emulator.stats().lost_writes,
        1,
        "the fault hit an applied DELETE"
    );
}

#[test]
fn a_lost_delete_answer_while_azure_is_still_deleting_reports_deleted() {
    let env = TestEnv::new();
    env.seed_eventhub("slow", &eventhub_id("h"), "cg");
    env.emulator
        .set_operation_duration(Duration::from_millis(1500));
    env.emulator.inject(
        FaultRule::new(Fault::LostResponse)
            .method("DELETE")
            .times(1),
    );
    let run = env.run(&delete_json("slow"));
    run.expect(0);
    assert_eq!(run.json()["result"], "deleted", "{}", run.stderr);
    assert!(env.stored("slow").is_none(), "the connection is gone");
    assert!(
        run.stderr.contains("Azure is deleting it"),
        "followed the deletion: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("nothing to delete"), "{}", run.stderr);
    assert_eq!(env.count("DELETE", "/dataConnections/slow"), 1);
}

// ---------------------------------------------------------------------------------------------
// Item 10: terminal escapes in names, properties and error messages.
// ---------------------------------------------------------------------------------------------

const HOSTILE_TABLE: &str = "T\u{1b}]0;pwned\u{7}\u{1b}[2J";
const HOSTILE_GROUP: &str = "cg\u{202e}gpj.exe\u{9b}31m";
const HOSTILE_NAME: &str = "evil\u{1b}[2J\u{202e}";

/// Raw characters that steer a terminal, found in `text`.
fn raw_controls(text: &str) -> Vec<String> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|c| c.escape_unicode().to_string())
        .collect()
}

fn seed_hostile(env: &TestEnv) {
    env.emulator.insert_connection(
        SUB,
        demo::RESOURCE_GROUP,
        demo::CLUSTER,
        demo::DATABASE,
        "hostile",
        "EventHub",
        json!({
            "eventHubResourceId": eventhub_id("h"),
            "consumerGroup": HOSTILE_GROUP,
            "tableName": HOSTILE_TABLE,
        }),
    );
    env.emulator.insert_connection(
        SUB,
        demo::RESOURCE_GROUP,
        demo::CLUSTER,
        demo::DATABASE,
        HOSTILE_NAME,
        "EventHub",
        json!({"eventHubResourceId": eventhub_id("h"), "consumerGroup": "$Default"}),
    );
}

#[test]
fn escape_sequences_from_azure_are_shown_escaped_in_tables() {
    let env = TestEnv::new();
    seed_hostile(&env);
    let mut show = strings(&["show"]);
    show.extend(target("hostile"));
    let mut list = strings(&["list"]);
    list.extend(database_flags());
    let mut failures = Vec::new();
    for (what, args, wanted) in [
        ("show", &show, vec![HOSTILE_TABLE, HOSTILE_GROUP]),
        (
            "list",
            &list,
            vec![HOSTILE_TABLE, HOSTILE_GROUP, HOSTILE_NAME],
        ),
    ] {
        let run = env.run(args);
        if run.code != 0 {
            failures.push(format!("{what} exited {}: {}", run.code, run.stderr));
            continue;
        }
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            let raw = raw_controls(text);
            if !raw.is_empty() {
                failures.push(format!("{what} {stream} holds raw {raw:?}:\n{text}"));
            }
        }
        for value in wanted {
            // Shown escaped: every steering character as `\u{…}`, the rest as it is.
            let escaped: String = value
                .chars()
                .map(|c| match c {
                    '\u{1b}' | '\u{7}' | '\u{9b}' | '\u{202e}' => c.escape_unicode().to_string(),
                    c => c.to_string(),
                })
                .collect();
            // A table may cut long values; the start must be there in any case.
            let start: String = escaped.chars().take(12).collect();
            if !run.stdout.contains(&start) {
                failures.push(format!(
                    "{what} does not show {value:?} as {escaped}:\n{}",
                    run.stdout
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn escape_sequences_from_azure_round_trip_through_yaml_output() {
    let env = TestEnv::new();
    seed_hostile(&env);
    let mut show = strings(&["show", "-o", "yaml"]);
    show.extend(target("hostile"));
    let run = env.run(&show);
    run.expect(0);
    assert!(raw_controls(&run.stdout).is_empty(), "{:?}", run.stdout);
    let shown: serde_json::Value = serde_norway::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("YAML ({error}):\n{}", run.stdout));
    assert_eq!(shown["properties"]["tableName"], HOSTILE_TABLE);
    assert_eq!(shown["properties"]["consumerGroup"], HOSTILE_GROUP);
}

#[test]
fn escape_sequences_from_azure_round_trip_through_json_output() {
    let env = TestEnv::new();
    seed_hostile(&env);
    let mut show = strings(&["show", "-o", "json"]);
    show.extend(target("hostile"));
    let run = env.run(&show);
    run.expect(0);
    assert!(raw_controls(&run.stdout).is_empty(), "{:?}", run.stdout);
    let shown = run.json();
    assert_eq!(shown["properties"]["tableName"], HOSTILE_TABLE);
    assert_eq!(shown["properties"]["consumerGroup"], HOSTILE_GROUP);

    let mut list = strings(&["list", "-o", "json"]);
    list.extend(database_flags());
    let run = env.run(&list);
    run.expect(0);
    assert!(raw_controls(&run.stdout).is_empty(), "{:?}", run.stdout);
    let listed = run.json();
    let names: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["name"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(names.iter().any(|n| n == HOSTILE_NAME), "{names:?}");
    let hostile = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().ends_with("/hostile"))
        .expect("the hostile connection is listed");
    assert_eq!(hostile["properties"]["tableName"], HOSTILE_TABLE);
    assert_eq!(hostile["properties"]["consumerGroup"], HOSTILE_GROUP);
}

#[test]
fn an_arm_error_with_escape_sequences_is_shown_escaped() {
    let body = r#"{"error":{"code":"Bad\u001b[2J","message":"x\u001b]0;t\u0007 \u202e\u009b31m"}}"#;
    let mut failures = Vec::new();
    for debug in [false, true] {
        for format in ["table", "json"] {
            let env = TestEnv::new();
            env.emulator.inject(
                FaultRule::new(Fault::Reply {
                    status: 400,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: body.into(),
                })
                .method("GET")
                .path_contains("/dataConnections/conn"),
            );
            let mut args = strings(&["show", "-o", format]);
            args.extend(target("conn"));
            if debug {
                args.push("--debug".to_string());
            }
            let run = env.run(&args);
            let label = format!("debug {debug}, -o {format}");
            if run.code != 1 {
                failures.push(format!("{label}: exited {}", run.code));
            }
            for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                let raw = raw_controls(text);
                if !raw.is_empty() {
                    failures.push(format!("{label}: {stream} holds raw {raw:?}:\n{text}"));
                }
            }
            if !run.stderr.contains(r"Bad\u{1b}[2J") || !run.stderr.contains(r"x\u{1b}]0;t\u{7}") {
                failures.push(format!(
                    "{label}: the code and message are not shown escaped:\n{}",
                    run.stderr
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Item 12: the dry run shows the auxiliary header, and refuses what a real run refuses.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_dry_run_shows_one_redacted_auxiliary_token_per_aux_tenant() {
    let env = TestEnv::new();
    let table = env.run(&create_from(
        "--eventhub-id",
        &partner_eventhub_id(),
        &["--dry-run", "--aux-tenant", demo::OTHER_TENANT],
    ));
    table.expect(0);
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.trim_end() == "x-ms-authorization-auxiliary: Bearer [redacted]"),
        "{}",
        table.stdout
    );

    // Without --location the cluster GET comes first, and it carries no auxiliary token.
    let mut no_location = strings(&["create", "eventhub"]);
    no_location.extend(target("conn"));
    no_location.extend(strings(&[
        "--eventhub-id",
        &partner_eventhub_id(),
        "--dry-run",
        "-o",
        "json",
        "--aux-tenant",
        demo::OTHER_TENANT,
    ]));
    let json = env.run(&no_location);
    json.expect(0);
    let plan = json.json();
    let requests = plan.as_array().unwrap();
    let put = requests
        .iter()
        .find(|r| r["method"] == "PUT")
        .expect("the PUT is planned");
    assert_eq!(
        put["headers"]["x-ms-authorization-auxiliary"], "Bearer [redacted]",
        "{plan:#}"
    );
    let get = requests
        .iter()
        .find(|r| r["method"] == "GET")
        .expect("the cluster GET is planned");
    assert_eq!(get["headers"].get("x-ms-authorization-auxiliary"), None);

    let two = env.run(&create_from(
        "--eventhub-id",
        &partner_eventhub_id(),
        &[
            "--dry-run",
            "--aux-tenant",
            demo::OTHER_TENANT,
            "--aux-tenant",
            "contoso.onmicrosoft.com",
        ],
    ));
    two.expect(0);
    assert!(
        two.stdout.lines().any(|l| l.trim_end()
            == "x-ms-authorization-auxiliary: Bearer [redacted], Bearer [redacted]"),
        "{}",
        two.stdout
    );
    let two_json = env.run(&create_from(
        "--eventhub-id",
        &partner_eventhub_id(),
        &[
            "--dry-run",
            "-o",
            "json",
            "--aux-tenant",
            demo::OTHER_TENANT,
            "--aux-tenant",
            "contoso.onmicrosoft.com",
        ],
    ));
    two_json.expect(0);
    assert_eq!(
        put_of(&two_json.json())["headers"]["x-ms-authorization-auxiliary"],
        "Bearer [redacted], Bearer [redacted]"
    );
    assert!(
        env.emulator.requests().is_empty(),
        "a dry run sends nothing, not even a token request"
    );
}

#[test]
fn a_dry_run_with_an_aux_token_file_redacts_it_and_sends_nothing() {
    let env = TestEnv::new();
    let token = env.emulator.mint_token(
        demo::OTHER_TENANT,
        demo::CLIENT_ID,
        Duration::from_secs(3600),
    );
    let file = temp_file("aux-dry", &format!("{token}\n"));
    let run = env.run(&create_from(
        "--eventhub-id",
        &partner_eventhub_id(),
        &[
            "--dry-run",
            "-o",
            "json",
            "--aux-token-file",
            &file,
            "--aux-tenant",
            demo::OTHER_TENANT,
        ],
    ));
    run.expect(0);
    assert_eq!(
        put_of(&run.json())["headers"]["x-ms-authorization-auxiliary"],
        "Bearer [redacted], Bearer [redacted]"
    );
    assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token));
    assert!(!run.stdout.contains("eyJ") && !run.stderr.contains("eyJ"));
    assert!(env.emulator.requests().is_empty());
}

#[test]
fn a_dry_run_refuses_what_a_real_run_refuses_and_sends_nothing() {
    let env = TestEnv::new();
    let four = [
        "--aux-tenant",
        demo::OTHER_TENANT,
        "--aux-tenant",
        "contoso.onmicrosoft.com",
        "--aux-tenant",
        "fabrikam.onmicrosoft.com",
        "--aux-tenant",
        "tailspin.onmicrosoft.com",
    ];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("--aux-tenant", four.to_vec()),
        ("--aux-token-file", vec!["--aux-token-file", "/"]),
        ("--aux-token-file", vec!["--aux-token-file", "/dev/zero"]),
    ];
    let dir = std::env::temp_dir();
    let dir = dir.to_str().unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for (named, extra) in cases.iter().chain(std::iter::once(&(
        "--aux-token-file",
        vec!["--aux-token-file", dir],
    ))) {
        for dry in [true, false] {
            for format in ["table", "json"] {
                count += 1;
                env.emulator.clear_requests();
                let mut extra = extra.clone();
                if dry {
                    extra.push("--dry-run");
                }
                extra.extend(["-o", format]);
                let run = env.run(&create_from(
                    "--eventhub-id",
                    &partner_eventhub_id(),
                    &extra,
                ));
                let mut wrong = Vec::new();
                if run.code != 2 {
                    wrong.push(format!("exited {}", run.code));
                }
                if !run.stderr.contains(named) {
                    wrong.push(format!("does not name {named}"));
                }
                if run.stdout.contains("PUT ") || run.stdout.contains("\"PUT\"") {
                    wrong.push("printed a plan anyway".to_string());
                }
                if !env.emulator.requests().is_empty() {
                    wrong.push("sent a request".to_string());
                }
                if !wrong.is_empty() {
                    failures.push(format!("{extra:?}: {}:\n{}", wrong.join(", "), run.stderr));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Item 13: a typo in any part of the address never reads as success.
// ---------------------------------------------------------------------------------------------

/// A subscription GUID that is well-formed but is not the demo's (nor any in the world).
const TYPO_SUBSCRIPTION: &str = "30000000-0000-4000-8000-0000000000ff";

/// Runs delete, show, wait and `wait --deleted` of an existing connection with `flag` mistyped
/// as `value`: each must exit 5 with `message`, never "nothing to delete", and leave the
/// connection alone.
fn assert_typo_is_named(flag: &str, value: &str, message: &str) {
    let env = TestEnv::new();
    env.seed_eventhub("conn", &eventhub_id("h"), "cg");
    let mut list = strings(&["list"]);
    list.extend(database_flags());
    let at = list.iter().position(|a| a == flag).unwrap();
    list[at + 1] = value.to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("delete", command(&["delete"], flag, value, &["--yes"])),
        (
            "delete -o json",
            command(&["delete"], flag, value, &["--yes", "-o", "json"]),
        ),
        ("show", command(&["show"], flag, value, &[])),
        (
            "show -o json",
            command(&["show"], flag, value, &["-o", "json"]),
        ),
        (
            "wait",
            command(&["wait"], flag, value, &["--timeout", "10s"]),
        ),
        (
            "wait --deleted",
            command(&["wait"], flag, value, &["--deleted", "--timeout", "10s"]),
        ),
        ("list", list),
    ];
    let mut failures = Vec::new();
    for (what, args) in &cases {
        let run = env.run(args);
        let mut wrong = Vec::new();
        if run.code != 5 {
            wrong.push(format!("exited {}", run.code));
        }
        if !run.stderr.contains(message) {
            wrong.push(format!("does not say {message:?}"));
        }
        for success in ["nothing to delete", "Deleted", "absent", "is gone"] {
            if run.stderr.contains(success) || run.stdout.contains(success) {
                wrong.push(format!("says {success:?}"));
            }
        }
        if run.stdout.contains("\"result\"") {
            wrong.push(format!("printed a result: {}", run.stdout));
        }
        if !wrong.is_empty() {
            failures.push(format!("{what}: {}:\n{}", wrong.join(", "), run.stderr));
        }
    }
    assert!(
        env.stored("conn").is_some(),
        "the real connection is untouched"
    );
    assert_eq!(
        env.count("DELETE", "/dataConnections/"),
        2,
        "one DELETE per delete run, to the mistyped address: {:?}",
        env.arm_requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .map(|r| r.path().to_string())
            .collect::<Vec<_>>()
    );
    assert!(
        failures.is_empty(),
        "{} of {} commands failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_mistyped_subscription_is_never_reported_as_deleted() {
    assert_typo_is_named(
        "--subscription",
        TYPO_SUBSCRIPTION,
        &format!("subscription `{TYPO_SUBSCRIPTION}` was not found"),
    );
}

#[test]
fn a_mistyped_resource_group_is_never_reported_as_deleted() {
    assert_typo_is_named(
        "-g",
        "rg-adz",
        &format!("resource group `rg-adz` was not found in subscription `{SUB}`"),
    );
}

#[test]
fn a_mistyped_cluster_is_never_reported_as_deleted() {
    assert_typo_is_named(
        "--cluster",
        "adxdemz",
        &format!(
            "cluster `adxdemz` was not found in resource group `{}`",
            demo::RESOURCE_GROUP
        ),
    );
}

#[test]
fn a_mistyped_database_is_never_reported_as_deleted() {
    assert_typo_is_named(
        "--database",
        "telemetrz",
        &format!(
            "database `telemetrz` was not found in cluster `{}`",
            demo::CLUSTER
        ),
    );
}

#[test]
fn deleting_a_truly_absent_connection_in_the_real_database_exits_0_absent() {
    let env = TestEnv::new();
    env.seed_eventhub("other", &eventhub_id("h"), "cg");
    let run = env.run(&delete_json("ghost"));
    run.expect(0);
    let result: Value = run.json();
    assert_eq!(result["result"], "absent", "{}", run.stdout);
    assert!(
        result["id"]
            .as_str()
            .is_some_and(|id| id.ends_with("/dataConnections/ghost")),
        "{result}"
    );
    assert!(run.stderr.contains("nothing to delete"), "{}", run.stderr);
    assert!(env.stored("other").is_some());
    assert_eq!(env.count("DELETE", "/dataConnections/ghost"), 1);

    // `show` of it says absent the other way: exit 5 naming the connection, not a part.
    let mut show = strings(&["show"]);
    show.extend(target("ghost"));
    let run = env.run(&show);
    run.expect(5);
    assert!(
        run.stderr
            .contains("data connection `ghost` was not found in database"),
        "{}",
        run.stderr
    );
}

/// The PUT of a `--dry-run -o json` plan.
fn put_of(plan: &serde_json::Value) -> serde_json::Value {
    plan.as_array()
        .and_then(|requests| requests.iter().find(|request| request["method"] == "PUT"))
        .cloned()
        .unwrap_or_default()
}
