//! Every way to sign in, against the emulator's token, GitHub OIDC and managed-identity
//! endpoints (and a stub `az`): each works alone, the automatic order picks as documented,
//! `--auth` forces, a failure says what each source lacked, and `adxconn auth` shows who
//! signed in without showing any token, secret or key.

use std::path::PathBuf;

use adxconn_emulator::{demo, TestCertificate};
use serde_json::Value;

use crate::support::{Run, TestEnv};

fn list() -> Vec<String> {
    crate::support::database_flags()
        .into_iter()
        .fold(vec!["list".to_string()], |mut args, flag| {
            args.push(flag);
            args
        })
}

/// A fresh directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("adxconn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The demo environment without the client secret: other sources must do.
fn without_secret() -> TestEnv {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_SECRET", None);
    env
}

/// `adxconn auth -o json`, which must succeed.
fn auth_json(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec!["auth", "-o", "json"];
    args.extend(extra);
    let run = env.run(&args);
    run.expect(0);
    run.json()
}

/// The token requests' bodies (the emulator's log).
fn token_forms(env: &TestEnv) -> Vec<String> {
    env.emulator
        .requests()
        .into_iter()
        .filter(|r| r.is_token_request())
        .map(|r| r.body)
        .collect()
}

/// What the kubelet writes for the demo AKS pod: a federated token for `subject`.
fn write_federated_token(env: &TestEnv, file: &std::path::Path, subject: &str, lifetime: i64) {
    let token = env.emulator.mint_federated_token(
        demo::AKS_ISSUER,
        subject,
        demo::FEDERATED_AUDIENCE,
        lifetime,
    );
    std::fs::write(file, token).unwrap();
}

/// Writes the certificate and its key to `pem` and signs in with it.
fn use_certificate(env: &mut TestEnv, pem: &std::path::Path, certificate: &TestCertificate) {
    std::fs::write(
        pem,
        format!("{}{}", certificate.cert_pem, certificate.key_pem),
    )
    .unwrap();
    env.set_env(
        "AZURE_CLIENT_CERTIFICATE_PATH",
        Some(&pem.display().to_string()),
    );
}

fn assert_no_key_material(run: &Run) {
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        assert!(!text.contains(demo::IDENTITY_HEADER), "{text}");
        assert!(!text.contains(demo::GITHUB_REQUEST_TOKEN), "{text}");
    }
}

#[test]
fn a_federated_token_file_signs_in_without_a_secret() {
    let mut env = without_secret();
    let dir = scratch("federated");
    let file = dir.join("token");
    write_federated_token(&env, &file, demo::AKS_SUBJECT, 3600);
    env.set_env(
        "AZURE_FEDERATED_TOKEN_FILE",
        Some(&file.display().to_string()),
    );
    env.run(&list()).expect(0);
    let forms = token_forms(&env);
    assert_eq!(forms.len(), 1, "one token for the run");
    assert!(forms[0].contains(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
    ));
    assert!(!forms[0].contains("client_secret"));
    let auth = auth_json(&env, &[]);
    assert_eq!(auth["method"], "workload");
    assert!(auth["reason"]
        .as_str()
        .unwrap()
        .contains("AZURE_FEDERATED_TOKEN_FILE"));
    assert_eq!(auth["tenant"], demo::TENANT);
    assert_eq!(auth["clientId"], demo::CLIENT_ID);

    // An expired token, or one for another subject, is refused by Entra ID: exit 3, its words.
    for (subject, lifetime, code) in [
        (demo::AKS_SUBJECT, -600, "AADSTS700024"),
        (
            "system:serviceaccount:default:intruder",
            3600,
            "AADSTS70021",
        ),
    ] {
        write_federated_token(&env, &file, subject, lifetime);
        let run = env.run(&list());
        run.expect(3);
        assert!(run.stderr.contains(code), "{code}: {}", run.stderr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_github_actions_job_signs_in_with_its_oidc_token_and_no_secret() {
    let mut env = without_secret();
    let url = env.emulator.github_oidc_request_url();
    env.set_env("ACTIONS_ID_TOKEN_REQUEST_URL", Some(&url));
    env.set_env(
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        Some(demo::GITHUB_REQUEST_TOKEN),
    );
    let run = env.run(&list());
    run.expect(0);
    assert_no_key_material(&run);
    assert_eq!(env.emulator.stats().oidc_requests, 1, "asked once per run");
    let asked = env
        .emulator
        .requests()
        .into_iter()
        .find(|r| r.path().contains("/github/oidc/token"))
        .unwrap();
    assert!(
        asked
            .path_and_query
            .contains("audience=api%3A%2F%2FAzureADTokenExchange"),
        "{}",
        asked.path_and_query
    );
    let auth = auth_json(&env, &[]);
    assert_eq!(auth["method"], "workload");
    assert!(auth["reason"].as_str().unwrap().contains("GitHub Actions"));

    // A job without `id-token: write` gets a runner token GitHub refuses.
    env.set_env(
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        Some("not-the-request-token"),
    );
    let run = env.run(&list());
    run.expect(3);
    assert!(run.stderr.contains("id-token: write"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("not-the-request-token"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_managed_identity_signs_in_through_identity_endpoint() {
    let mut env = without_secret();
    env.set_env("AZURE_CLIENT_ID", None);
    env.set_env("IDENTITY_ENDPOINT", Some(&env.emulator.identity_endpoint()));
    env.set_env("IDENTITY_HEADER", Some(demo::IDENTITY_HEADER));
    let run = env.run(&list());
    run.expect(0);
    assert_no_key_material(&run);
    let auth = auth_json(&env, &[]);
    assert_eq!(auth["method"], "managed-identity");
    assert_eq!(auth["clientId"], demo::SYSTEM_IDENTITY_CLIENT_ID);
    let auth = auth_json(
        &env,
        &[
            "--managed-identity-client-id",
            demo::USER_IDENTITY_CLIENT_ID,
        ],
    );
    assert_eq!(auth["clientId"], demo::USER_IDENTITY_CLIENT_ID);
    assert!(env.emulator.stats().identity_requests >= 3);

    // It cannot sign in to another tenant: said before anything is sent.
    let before = env.emulator.requests().len();
    let mut args = list();
    args.extend(["--aux-tenant".to_string(), demo::OTHER_TENANT.to_string()]);
    let run = env.run(&args);
    run.expect(2);
    assert!(run.stderr.contains("--aux-token-file"), "{}", run.stderr);
    assert_eq!(env.emulator.requests().len(), before);
}

/// A stand-in `az` that prints what `az account get-access-token -o json` prints: a token of
/// `tenant` (the `--tenant` it was given, else the demo tenant), and logs each call.
fn stub_az(env: &TestEnv, dir: &std::path::Path, fail: bool) -> PathBuf {
    let log = dir.join("calls");
    let home = env.emulator.arm_token(demo::TENANT, demo::CLIENT_ID);
    let other = env.emulator.arm_token(demo::OTHER_TENANT, demo::CLIENT_ID);
    let script = if fail {
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n"
            .to_string()
    } else {
        format!(
            "#!/bin/sh\necho \"$*\" >> '{log}'\ncase \"$*\" in\n  *{other_tenant}*) token='{other}' ;;\n  *) token='{home}' ;;\nesac\nprintf '{{\"accessToken\": \"%s\", \"expiresOn\": \"2030-01-01 00:00:00.000000\", \"expires_on\": 1893456000, \"subscription\": \"{sub}\", \"tenant\": \"{tenant}\", \"tokenType\": \"Bearer\"}}\\n' \"$token\"\n",
            log = log.display(),
            other_tenant = demo::OTHER_TENANT,
            sub = demo::SUBSCRIPTION,
            tenant = demo::TENANT,
        )
    };
    let az = dir.join("az");
    std::fs::write(&az, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    log
}

#[cfg(unix)]
#[test]
fn the_azure_cli_session_signs_in_once_per_tenant() {
    let mut env = without_secret();
    env.set_env("AZURE_CLIENT_ID", None);
    let dir = scratch("az");
    let log = stub_az(&env, &dir, false);
    env.set_env("PATH", Some(&dir.display().to_string()));
    let run = env.run(&[&list()[..], &["-o".to_string(), "json".to_string()]].concat());
    run.expect(0);
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert!(calls.contains("account get-access-token"), "{calls}");
    assert!(
        calls.contains(&format!("--tenant {}", demo::TENANT)),
        "{calls}"
    );
    assert!(token_forms(&env).is_empty(), "no token endpoint call");
    let auth = auth_json(&env, &["--aux-tenant", demo::OTHER_TENANT]);
    assert_eq!(auth["method"], "cli");
    assert_eq!(auth["tenant"], demo::TENANT);
    assert_eq!(auth["auxiliary"][0]["tenant"], demo::OTHER_TENANT);

    // Not signed in: exit 3 with `az login` as the fix.
    stub_az(&env, &dir, true);
    let run = env.run(&list());
    run.expect(3);
    assert!(
        run.stderr.contains("Please run 'az login'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: run `az login`"),
        "{}",
        run.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_certificate_signs_in_and_an_unregistered_one_is_refused() {
    let mut env = without_secret();
    let certificate = TestCertificate::generate("adxconn e2e");
    env.emulator.with_world(|world| {
        world.add_app_certificate(demo::TENANT, demo::CLIENT_ID, certificate.cert_der.clone())
    });
    let dir = scratch("certificate");
    let pem = dir.join("app.pem");
    use_certificate(&mut env, &pem, &certificate);
    let run = env.run(&list());
    run.expect(0);
    assert_no_key_material(&run);
    let forms = token_forms(&env);
    assert!(forms.iter().all(|form| form.contains("client_assertion=")));
    let run = env.run(&["auth"]);
    run.expect(0);
    assert!(run.stdout.contains("certificate"), "{}", run.stdout);
    assert_no_key_material(&run);

    let stranger = TestCertificate::generate("not registered");
    std::fs::write(&pem, format!("{}{}", stranger.cert_pem, stranger.key_pem)).unwrap();
    let run = env.run(&list());
    run.expect(3);
    assert!(run.stderr.contains("AADSTS700027"), "{}", run.stderr);

    // The same certificate as PKCS#12 (.pfx) with a password, opened with `openssl pkcs12`.
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    std::fs::write(&key, &certificate.key_pem).unwrap();
    std::fs::write(&cert, &certificate.cert_pem).unwrap();
    let pfx = dir.join("app.pfx");
    let password = "pfx-password-not-for-production";
    let exported = std::process::Command::new("openssl")
        .args(["pkcs12", "-export", "-passout", &format!("pass:{password}")])
        .arg("-in")
        .arg(&cert)
        .arg("-inkey")
        .arg(&key)
        .arg("-out")
        .arg(&pfx)
        .status()
        .expect("openssl runs");
    assert!(exported.success());
    let tools = dir.join("bin");
    std::fs::create_dir_all(&tools).unwrap();
    let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
        .expect("openssl is installed");
    std::os::unix::fs::symlink(openssl, tools.join("openssl")).unwrap();
    env.set_env("PATH", Some(&tools.display().to_string()));
    env.set_env(
        "AZURE_CLIENT_CERTIFICATE_PATH",
        Some(&pfx.display().to_string()),
    );
    env.set_env("AZURE_CLIENT_CERTIFICATE_PASSWORD", Some(password));
    let run = env.run(&list());
    run.expect(0);
    assert_no_key_material(&run);
    env.set_env(
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        Some("wrong-password-123"),
    );
    let before = env.emulator.requests().len();
    let run = env.run(&list());
    run.expect(2);
    assert!(
        run.stderr.contains("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
        "{}",
        run.stderr
    );
    assert_eq!(env.emulator.requests().len(), before, "nothing sent");
    env.set_env("AZURE_CLIENT_CERTIFICATE_PASSWORD", None);
    env.set_env(
        "AZURE_CLIENT_CERTIFICATE_PATH",
        Some(&pem.display().to_string()),
    );

    // A PEM without its key is an input error naming the variable: nothing sent.
    let before = env.emulator.requests().len();
    std::fs::write(&pem, &certificate.cert_pem).unwrap();
    let run = env.run(&list());
    run.expect(2);
    assert!(
        run.stderr.contains("AZURE_CLIENT_CERTIFICATE_PATH"),
        "{}",
        run.stderr
    );
    assert_eq!(env.emulator.requests().len(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_automatic_order_and_auth_forcing() {
    let mut env = TestEnv::new();
    let dir = scratch("order");
    let file = dir.join("token");
    write_federated_token(&env, &file, demo::AKS_SUBJECT, 3600);
    env.set_env(
        "AZURE_FEDERATED_TOKEN_FILE",
        Some(&file.display().to_string()),
    );
    env.set_env("IDENTITY_ENDPOINT", Some(&env.emulator.identity_endpoint()));
    env.set_env("IDENTITY_HEADER", Some(demo::IDENTITY_HEADER));
    // A secret wins over a federated token file and a managed identity.
    let auth = auth_json(&env, &[]);
    assert_eq!(auth["method"], "secret");
    assert!(
        auth["reason"].as_str().unwrap().starts_with("step 2"),
        "{auth}"
    );
    // --auth forces one.
    let auth = auth_json(&env, &["--auth", "workload"]);
    assert_eq!(auth["method"], "workload");
    assert!(auth["reason"]
        .as_str()
        .unwrap()
        .starts_with("--auth workload"));
    // Without the secret, the federated token comes next; without it, the managed identity.
    env.set_env("AZURE_CLIENT_SECRET", None);
    assert_eq!(auth_json(&env, &[])["method"], "workload");
    env.set_env("AZURE_FEDERATED_TOKEN_FILE", None);
    env.set_env("AZURE_CLIENT_ID", None);
    assert_eq!(auth_json(&env, &[])["method"], "managed-identity");
    // A ready-made token comes first of all.
    let token = env.emulator.arm_token(demo::TENANT, demo::CLIENT_ID);
    env.set_env("ADXCONN_ACCESS_TOKEN", Some(&token));
    assert_eq!(auth_json(&env, &[])["method"], "token");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn when_nothing_is_configured_the_error_says_what_each_source_lacked() {
    let env = without_secret();
    let run = env.run(&list());
    run.expect(3);
    for source in [
        "token:",
        "secret:",
        "certificate:",
        "workload:",
        "managed-identity:",
        "cli:",
    ] {
        assert!(run.stderr.contains(source), "{source}: {}", run.stderr);
    }
    assert!(run.stderr.contains("AZURE_CLIENT_SECRET"), "{}", run.stderr);
    assert!(env.emulator.requests().is_empty(), "nothing sent");
    // Forced, only that source is named.
    let run = env.run(
        &[
            &list()[..],
            &["--auth".to_string(), "certificate".to_string()],
        ]
        .concat(),
    );
    run.expect(3);
    assert!(
        run.stderr.contains("AZURE_CLIENT_CERTIFICATE_PATH"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("cli:"), "{}", run.stderr);
}

#[test]
fn auth_shows_who_signed_in_in_a_table_and_for_each_auxiliary_tenant() {
    let env = TestEnv::new();
    let run = env.run(&["auth", "--aux-tenant", demo::OTHER_TENANT]);
    run.expect(0);
    for expected in [
        "method",
        "secret",
        "AZURE_CLIENT_SECRET is set",
        demo::TENANT,
        demo::CLIENT_ID,
        "expires",
        "auxiliary 1",
        demo::OTHER_TENANT,
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.stdout);
    }
    assert!(!run.stdout.contains(demo::CLIENT_SECRET));
}

#[test]
fn a_certificate_and_a_federated_token_sign_in_to_auxiliary_tenants_too() {
    let mut env = without_secret();
    let certificate = TestCertificate::generate("adxconn multi-tenant");
    env.emulator.with_world(|world| {
        for tenant in [demo::TENANT, demo::OTHER_TENANT] {
            assert!(world.add_app_certificate(
                tenant,
                demo::CLIENT_ID,
                certificate.cert_der.clone()
            ));
        }
    });
    let dir = scratch("aux-certificate");
    let pem = dir.join("app.pem");
    use_certificate(&mut env, &pem, &certificate);
    let auth = auth_json(&env, &["--aux-tenant", demo::OTHER_TENANT]);
    assert_eq!(auth["method"], "certificate");
    assert_eq!(auth["auxiliary"][0]["tenant"], demo::OTHER_TENANT);

    env.set_env("AZURE_CLIENT_CERTIFICATE_PATH", None);
    let file = dir.join("token");
    write_federated_token(&env, &file, demo::AKS_SUBJECT, 3600);
    env.set_env(
        "AZURE_FEDERATED_TOKEN_FILE",
        Some(&file.display().to_string()),
    );
    let auth = auth_json(&env, &["--aux-tenant", demo::OTHER_TENANT]);
    assert_eq!(auth["method"], "workload");
    assert_eq!(auth["auxiliary"][0]["tenant"], demo::OTHER_TENANT);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_token_per_tenant_serves_every_concurrent_request_of_a_sweep() {
    // Sources in both tenants, read concurrently by the audit.
    let fleet = adxconn_emulator::Fleet::new(2, 6, 24);
    let env = TestEnv::with_world(fleet.world());
    env.emulator.seed_connections(fleet.connections());
    let run = env.run(&[
        "audit",
        "--subscription",
        demo::SUBSCRIPTION,
        "--aux-tenant",
        demo::OTHER_TENANT,
        "--concurrency",
        "16",
    ]);
    assert!(matches!(run.code, 0 | 6), "{}", run.stderr);
    let tenants: Vec<String> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.is_token_request())
        .map(|r| r.path().split('/').nth(1).unwrap_or_default().to_string())
        .collect();
    let mut sorted = tenants.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [demo::TENANT.to_string(), demo::OTHER_TENANT.to_string()],
        "one token request per tenant: {tenants:?}"
    );
}

#[test]
fn an_unreachable_arm_endpoint_exits_7_naming_it() {
    let mut env = TestEnv::new();
    let port = crate::support::closed_port();
    env.set_env(
        "ADXCONN_ARM_ENDPOINT",
        Some(&format!("https://127.0.0.1:{port}")),
    );
    let run = env.run(&list());
    run.expect(7);
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
}
