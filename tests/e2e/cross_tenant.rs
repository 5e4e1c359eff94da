//! Cross-tenant sources: auxiliary tokens from the same multi-tenant app (`--aux-tenant`) or
//! handed in ready-made (`--aux-token-file`), checked by the emulator as ARM checks them.

use std::time::Duration;

use adxconn_emulator::demo;

use crate::support::{database_flags, eventhub_id, partner_eventhub_id, target, TestEnv};

fn partner(kind_path: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-partner/providers/{kind_path}",
        demo::OTHER_SUBSCRIPTION
    )
}

fn create_partner_eventhub(name: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["create".to_string(), "eventhub".to_string()];
    args.extend(target(name));
    args.extend(["--eventhub-id".to_string(), partner_eventhub_id()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn token_file(env: &TestEnv, name: &str, token: &str) -> String {
    let dir = std::env::temp_dir().join(format!("adxconn-aux-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    let _ = env;
    path.display().to_string()
}

fn auxiliary_entries(env: &TestEnv, method: &str) -> Vec<usize> {
    env.arm_requests()
        .iter()
        .filter(|r| r.method == method)
        .map(|r| {
            r.header("x-ms-authorization-auxiliary").map_or(0, |h| {
                h.split(',')
                    .filter(|e| e.trim().starts_with("Bearer "))
                    .count()
            })
        })
        .collect()
}

#[test]
fn multi_tenant_service_principal_with_aux_tenant() {
    let env = TestEnv::new();
    let run = env.run(&create_partner_eventhub(
        "orders",
        &["--aux-tenant", demo::OTHER_TENANT, "--debug"],
    ));
    run.expect(0);
    assert_eq!(auxiliary_entries(&env, "PUT"), [1]);
    // Polls of the operation carry the same headers.
    let polls: Vec<_> = env
        .arm_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("/operationResults/"))
        .collect();
    assert!(
        !polls.is_empty()
            && polls
                .iter()
                .all(|p| p.header("x-ms-authorization-auxiliary").is_some())
    );
    let tenants: Vec<String> = env
        .emulator
        .requests()
        .iter()
        .filter(|r| r.is_token_request())
        .map(|r| r.path().split('/').nth(1).unwrap().to_string())
        .collect();
    assert!(
        tenants.contains(&demo::TENANT.to_string())
            && tenants.contains(&demo::OTHER_TENANT.to_string())
    );
    assert!(
        run.stderr
            .contains("x-ms-authorization-auxiliary: Bearer [redacted]"),
        "{}",
        run.stderr
    );
}

#[test]
fn aux_tenants_from_the_environment() {
    let mut env = TestEnv::new();
    env.set_env("ADXCONN_AUX_TENANTS", Some(demo::OTHER_TENANT));
    env.run(&create_partner_eventhub("orders-env", &[]))
        .expect(0);
    assert_eq!(auxiliary_entries(&env, "PUT"), [1]);
}

#[test]
fn ready_made_token_for_the_other_tenant() {
    let env = TestEnv::new();
    let token = env.emulator.mint_token(
        demo::OTHER_TENANT,
        demo::CLIENT_ID,
        Duration::from_secs(3600),
    );
    let file = token_file(&env, "ok", &token);
    let run = env.run(&create_partner_eventhub(
        "orders-file",
        &["--aux-token-file", &file, "--debug"],
    ));
    run.expect(0);
    assert_eq!(auxiliary_entries(&env, "PUT"), [1]);
    assert!(
        run.stderr.contains(&format!("tid={}", demo::OTHER_TENANT)),
        "debug shows whose token: {}",
        run.stderr
    );
}

#[test]
fn without_auxiliary_tokens_exit_3_with_the_hint() {
    let env = TestEnv::new();
    let run = env.run(&create_partner_eventhub("orders-denied", &[]));
    run.expect(3);
    assert!(
        run.stderr.contains("LinkedAuthorizationFailed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(demo::OTHER_SUBSCRIPTION),
        "names the source's subscription: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--aux-tenant") && run.stderr.contains("--aux-token-file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Azure Event Hubs Data Owner"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_expired_aux_token_file_is_refused_before_any_request() {
    let env = TestEnv::new();
    let expired = env
        .emulator
        .mint_expired_token(demo::OTHER_TENANT, demo::CLIENT_ID);
    let file = token_file(&env, "expired", &expired);
    let run = env.run(&create_partner_eventhub(
        "orders-expired",
        &["--aux-token-file", &file],
    ));
    run.expect(2);
    assert!(
        run.stderr.contains(&file) && run.stderr.contains("expired"),
        "{}",
        run.stderr
    );
    assert!(env.emulator.requests().is_empty());
}

#[test]
fn four_auxiliary_tokens_are_refused_before_any_request() {
    let env = TestEnv::new();
    let token = env.emulator.mint_token(
        demo::OTHER_TENANT,
        demo::CLIENT_ID,
        Duration::from_secs(3600),
    );
    let file = token_file(&env, "four", &token);
    let run = env.run(&create_partner_eventhub(
        "orders-four",
        &[
            "--aux-tenant",
            demo::OTHER_TENANT,
            "--aux-tenant",
            demo::OTHER_TENANT,
            "--aux-token-file",
            &file,
            "--aux-token-file",
            &file,
        ],
    ));
    run.expect(2);
    assert!(run.stderr.contains("at most 3"), "{}", run.stderr);
    assert!(env.emulator.requests().is_empty());
}

#[test]
fn a_token_for_another_audience_is_refused() {
    let env = TestEnv::new();
    // A JWT-shaped token whose audience is Microsoft Graph, not ARM.
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let claims = format!(
        r#"{{"aud":"https://graph.microsoft.com","tid":"{}","exp":4102444800}}"#,
        demo::OTHER_TENANT
    );
    let token = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let file = token_file(&env, "graph", &token);
    let run = env.run(&create_partner_eventhub(
        "orders-graph",
        &["--aux-token-file", &file],
    ));
    run.expect(2);
    assert!(
        run.stderr.contains("not for Azure Resource Manager"),
        "{}",
        run.stderr
    );
}

#[test]
fn cross_tenant_iothub_and_eventgrid() {
    let env = TestEnv::new();
    let mut iothub = vec!["create".to_string(), "iothub".to_string()];
    iothub.extend(target("partner-devices"));
    iothub.extend([
        "--iothub-id".into(),
        partner("Microsoft.Devices/IotHubs/hub-partner"),
        "--shared-access-policy".into(),
        "registryRead".into(),
        "--aux-tenant".into(),
        demo::OTHER_TENANT.into(),
    ]);
    env.run(&iothub).expect(0);

    let mut eventgrid = vec!["create".to_string(), "eventgrid".to_string()];
    eventgrid.extend(target("partner-blobs"));
    eventgrid.extend([
        "--storage-account-id".into(),
        partner("Microsoft.Storage/storageAccounts/stpartner"),
        "--eventhub-id".into(),
        partner_eventhub_id(),
        "--aux-tenant".into(),
        demo::OTHER_TENANT.into(),
    ]);
    env.run(&eventgrid).expect(0);
    assert_eq!(auxiliary_entries(&env, "PUT"), [1, 1]);
}

#[test]
fn list_marks_cross_tenant_connections_and_delete_needs_no_aux_token() {
    let env = TestEnv::new();
    env.run(&create_partner_eventhub(
        "partner-orders",
        &["--aux-tenant", demo::OTHER_TENANT],
    ))
    .expect(0);
    let mut local = vec!["create".to_string(), "eventhub".to_string()];
    local.extend(target("local-clicks"));
    local.extend(["--eventhub-id".into(), eventhub_id("clicks")]);
    env.run(&local).expect(0);

    let mut list = vec!["list".to_string(), "-o".into(), "json".into()];
    list.extend(database_flags());
    let listed = env.run(&list);
    listed.expect(0);
    let marks: Vec<(String, serde_json::Value)> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                c["crossTenant"].clone(),
            )
        })
        .collect();
    assert!(
        marks.contains(&("partner-orders".into(), serde_json::json!(true))),
        "{marks:?}"
    );
    assert!(
        marks.contains(&("local-clicks".into(), serde_json::json!(false))),
        "{marks:?}"
    );

    let mut table = vec!["list".to_string()];
    table.extend(database_flags());
    let shown = env.run(&table);
    assert!(
        shown.stdout.contains("CROSS-TENANT"),
        "{} {}",
        shown.stdout,
        shown.stderr
    );
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.contains("partner-orders") && l.contains(" yes ")),
        "{}",
        shown.stdout
    );

    // Support engineers remove connections whose source access is gone: no aux token needed.
    let mut delete = vec!["delete".to_string(), "--yes".into()];
    delete.extend(target("partner-orders"));
    env.run(&delete).expect(0);
    assert_eq!(auxiliary_entries(&env, "DELETE"), [0]);
    assert!(env.stored("partner-orders").is_none());
}

#[test]
fn a_rejected_auxiliary_token_exits_3_and_says_so() {
    let env = TestEnv::new();
    let token = env.emulator.mint_token(
        demo::OTHER_TENANT,
        demo::CLIENT_ID,
        Duration::from_secs(3600),
    );
    // Valid claims, forged signature: only ARM can tell, and it answers 401.
    let (unsigned, _) = token.rsplit_once('.').unwrap();
    let file = token_file(&env, "forged", &format!("{unsigned}.Zm9yZ2Vk"));
    let run = env.run(&create_partner_eventhub(
        "orders-forged",
        &["--aux-token-file", &file],
    ));
    run.expect(3);
    assert!(run.stderr.contains("auxiliary"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("check they are for that tenant and unexpired"),
        "{}",
        run.stderr
    );
}

#[test]
fn subscription_lookups_are_cached_within_a_run() {
    let env = TestEnv::new();
    for name in ["p1", "p2", "p3"] {
        env.seed_eventhub(name, &partner_eventhub_id(), name);
    }
    let mut list = vec!["list".to_string(), "-o".into(), "json".into()];
    list.extend(database_flags());
    let run = env.run(&list);
    run.expect(0);
    assert!(run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["crossTenant"] == true));
    let lookups = env
        .arm_requests()
        .iter()
        .filter(|r| {
            r.path()
                .eq_ignore_ascii_case(&format!("/subscriptions/{}", demo::OTHER_SUBSCRIPTION))
        })
        .count();
    assert_eq!(lookups, 1, "one lookup per distinct subscription");
}

#[test]
fn the_secret_is_read_once_for_every_tenant_and_stdin_only_once() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_SECRET", None);
    let from_stdin = create_partner_eventhub(
        "orders-stdin",
        &[
            "--aux-tenant",
            demo::OTHER_TENANT,
            "--client-secret-file",
            "-",
        ],
    );
    env.run_with_stdin(&from_stdin, Some(&format!("{}\n", demo::CLIENT_SECRET)))
        .expect(0);

    let both = create_partner_eventhub(
        "orders-both",
        &["--aux-token-file", "-", "--client-secret-file", "-"],
    );
    let run = env.run_with_stdin(&both, Some("x\n"));
    run.expect(2);
    assert!(run.stderr.contains("stdin"), "{}", run.stderr);
}
