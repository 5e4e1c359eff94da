//! Sign-in methods beyond the client secret, over HTTPS: client assertions
//! at the token endpoint (federated tokens and certificates), the GitHub
//! Actions OIDC stand-in, the App Service managed-identity endpoint, and
//! the tokens they lead to on ARM.

mod common;

use std::sync::LazyLock;

use adxconn_emulator::{demo, Emulator, FederatedCredential, TestCertificate, World, API_VERSION};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{start, Client, Response};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::PrivatePkcs8KeyDer;
use serde_json::{json, Value};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// The certificate registered on the demo Contributor app in these tests.
static REGISTERED: LazyLock<TestCertificate> =
    LazyLock::new(|| TestCertificate::generate("adxconn registered"));
/// A certificate no app knows.
static STRANGER: LazyLock<TestCertificate> =
    LazyLock::new(|| TestCertificate::generate("adxconn stranger"));

fn client(emulator: &Emulator) -> Client {
    Client::connect(emulator).unwrap_or_else(|e| panic!("connect: {e}"))
}

/// A client-credentials request with these extra form fields.
fn token_request(
    client: &mut Client,
    tenant: &str,
    client_id: &str,
    fields: &[(&str, &str)],
) -> Response {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "client_credentials")
        .append_pair("client_id", client_id)
        .append_pair("scope", ARM_SCOPE);
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    client
        .send(
            "POST",
            &format!("/{tenant}/oauth2/v2.0/token"),
            &[("content-type", "application/x-www-form-urlencoded")],
            &form.finish(),
        )
        .unwrap_or_else(|e| panic!("token request: {e}"))
}

fn with_assertion(client: &mut Client, tenant: &str, client_id: &str, assertion: &str) -> Response {
    token_request(
        client,
        tenant,
        client_id,
        &[
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ],
    )
}

/// Asserts an Entra error with this status, `error` and AADSTS number, and
/// returns its description.
fn entra_error(r: &Response, status: u16, error: &str, number: u32) -> String {
    assert_eq!(r.status, status, "{}", r.body);
    let body = r.json();
    assert_eq!(body["error"], error, "{}", r.body);
    assert_eq!(body["error_codes"], json!([number]), "{}", r.body);
    assert!(body["correlation_id"].is_string(), "{}", r.body);
    let description = body["error_description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        description.starts_with(&format!("AADSTS{number}: ")),
        "{description}"
    );
    description
}

fn access_token(r: &Response) -> String {
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "Bearer");
    r.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Part `n` of a JWT, as JSON.
fn jwt_part(jwt: &str, n: usize) -> Value {
    let part = jwt.split('.').nth(n).unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .unwrap_or(Value::Null)
}

/// The payload of a JWT.
fn claims(jwt: &str) -> Value {
    jwt_part(jwt, 1)
}

/// `GET /subscriptions/{subscription}` with `token`: its status.
fn arm_status(client: &mut Client, token: &str, subscription: &str) -> u16 {
    let target = format!("/subscriptions/{subscription}?api-version={API_VERSION}");
    let bearer = format!("Bearer {token}");
    client
        .send("GET", &target, &[("authorization", &bearer)], "")
        .unwrap_or_else(|e| panic!("{e}"))
        .status
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT with these parts, RS256-signed with `key_pem`.
fn sign_rs256(key_pem: &str, header: &Value, claims: &Value) -> String {
    let der = PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes())
        .unwrap_or_else(|e| panic!("key: {e}"));
    let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).unwrap_or_else(|e| panic!("key: {e}"));
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .unwrap_or_else(|e| panic!("sign: {e}"));
    format!("{input}.{}", b64(&signature))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn token_url(emulator: &Emulator, tenant: &str) -> String {
    format!("{}/{tenant}/oauth2/v2.0/token", emulator.url())
}

/// The claims MSAL puts in a certificate assertion for the demo app.
fn certificate_claims(emulator: &Emulator, tenant: &str) -> Value {
    let now = now();
    json!({
        "aud": token_url(emulator, tenant),
        "iss": demo::CLIENT_ID,
        "sub": demo::CLIENT_ID,
        "jti": "00000000-0000-4000-8000-00000000abcd",
        "nbf": now,
        "exp": now + 600,
    })
}

fn x5t_header(cert: &TestCertificate) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "x5t": cert.x5t()})
}

fn with_registered_certificate() -> Emulator {
    let world = World::demo().with_app_certificate(
        demo::TENANT,
        demo::CLIENT_ID,
        REGISTERED.cert_der.clone(),
    );
    Emulator::start(world).unwrap_or_else(|e| panic!("start: {e}"))
}

#[test]
fn federated_tokens_of_the_demo_workloads_sign_in_to_both_tenants() {
    let emulator = start();
    let mut client = client(&emulator);
    for (issuer, subject) in [
        (demo::GITHUB_ISSUER, demo::GITHUB_SUBJECT),
        (demo::AKS_ISSUER, demo::AKS_SUBJECT),
    ] {
        let federated =
            emulator.mint_federated_token(issuer, subject, demo::FEDERATED_AUDIENCE, 600);
        assert_eq!(jwt_part(&federated, 0)["alg"], "ES256", "{federated}");
        assert_eq!(claims(&federated)["iss"], issuer);
        for (tenant, subscription) in [
            (demo::TENANT, demo::SUBSCRIPTION),
            (demo::OTHER_TENANT, demo::OTHER_SUBSCRIPTION),
        ] {
            let r = with_assertion(&mut client, tenant, demo::CLIENT_ID, &federated);
            let token = access_token(&r);
            assert_eq!(claims(&token)["tid"], tenant);
            assert_eq!(claims(&token)["appid"], demo::CLIENT_ID);
            assert_eq!(arm_status(&mut client, &token, subscription), 200);
        }
    }
    // Within a minute of clock skew, an expired token still passes.
    let just_expired = emulator.mint_federated_token(
        demo::AKS_ISSUER,
        demo::AKS_SUBJECT,
        demo::FEDERATED_AUDIENCE,
        -30,
    );
    access_token(&with_assertion(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &just_expired,
    ));
    assert_eq!(emulator.stats().token_requests, 5);
}

#[test]
fn federated_tokens_are_refused_as_entra_refuses_them() {
    let emulator = start();
    let mut client = client(&emulator);
    let mint = |issuer: &str, subject: &str, audience: &str, lifetime: i64| {
        emulator.mint_federated_token(issuer, subject, audience, lifetime)
    };
    let aks = |lifetime| {
        mint(
            demo::AKS_ISSUER,
            demo::AKS_SUBJECT,
            demo::FEDERATED_AUDIENCE,
            lifetime,
        )
    };
    let mut send =
        |assertion: &str| with_assertion(&mut client, demo::TENANT, demo::CLIENT_ID, assertion);

    let expired = send(&aks(-120));
    let description = entra_error(&expired, 401, "invalid_client", 700_024);
    assert!(
        description.contains("Client assertion is not within its valid time range"),
        "{description}"
    );

    let stranger = "https://token.example.invalid";
    let r = send(&mint(
        stranger,
        demo::AKS_SUBJECT,
        demo::FEDERATED_AUDIENCE,
        600,
    ));
    let description = entra_error(&r, 401, "invalid_client", 700_211);
    assert!(
        description.contains(&format!(
            "No matching federated identity record found for presented assertion issuer '{stranger}'"
        )),
        "{description}"
    );

    // Issuers compare case-sensitively.
    let shouting = demo::GITHUB_ISSUER.to_ascii_uppercase();
    let r = send(&mint(
        &shouting,
        demo::GITHUB_SUBJECT,
        demo::FEDERATED_AUDIENCE,
        600,
    ));
    entra_error(&r, 401, "invalid_client", 700_211);

    let other_branch = "repo:adxconn/adxconn:ref:refs/heads/feature";
    let r = send(&mint(
        demo::GITHUB_ISSUER,
        other_branch,
        demo::FEDERATED_AUDIENCE,
        600,
    ));
    let description = entra_error(&r, 401, "invalid_client", 70_021);
    assert!(
        description.contains(&format!(
            "No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. Assertion Subject: '{other_branch}'. Assertion Audience: '{}'.",
            demo::GITHUB_ISSUER,
            demo::FEDERATED_AUDIENCE
        )),
        "{description}"
    );
    let r = send(&mint(
        demo::AKS_ISSUER,
        demo::AKS_SUBJECT,
        "api://other",
        600,
    ));
    let description = entra_error(&r, 401, "invalid_client", 70_021);
    assert!(
        description.contains("Assertion Audience: 'api://other'."),
        "{description}"
    );

    // Signed by another instance's key, or altered after signing.
    let foreign = start().mint_federated_token(
        demo::AKS_ISSUER,
        demo::AKS_SUBJECT,
        demo::FEDERATED_AUDIENCE,
        600,
    );
    let description = entra_error(&send(&foreign), 401, "invalid_client", 700_027);
    assert!(description.contains("invalid signature"), "{description}");
    let genuine = aks(600);
    let parts: Vec<&str> = genuine.split('.').collect();
    let mut forged_claims = claims(&genuine);
    forged_claims["sub"] = json!("system:serviceaccount:kube-system:admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged_claims.to_string().as_bytes()),
        parts[2]
    );
    let description = entra_error(&send(&forged), 401, "invalid_client", 700_027);
    assert!(
        description.contains("use of the key to verify the signature failed"),
        "{description}"
    );

    entra_error(&send("not-a-jwt"), 400, "invalid_request", 50_027);
    assert!(emulator.arm_requests().is_empty());
}

#[test]
fn federated_credentials_belong_to_one_app() {
    let emulator = start();
    let mut client = client(&emulator);
    let github = emulator.mint_federated_token(
        demo::GITHUB_ISSUER,
        demo::GITHUB_SUBJECT,
        demo::FEDERATED_AUDIENCE,
        600,
    );
    // The Reader app trusts no issuer.
    let r = with_assertion(&mut client, demo::TENANT, demo::READER_CLIENT_ID, &github);
    entra_error(&r, 401, "invalid_client", 700_211);

    // Credentials added to a running emulator count at once.
    emulator.with_world(|w| {
        if let Some(app) = w.app_mut(demo::TENANT, demo::READER_CLIENT_ID) {
            app.federated.push(FederatedCredential::new(
                demo::GITHUB_ISSUER,
                demo::GITHUB_SUBJECT,
            ));
        }
    });
    let token = access_token(&with_assertion(
        &mut client,
        demo::TENANT,
        demo::READER_CLIENT_ID,
        &github,
    ));
    assert_eq!(claims(&token)["appid"], demo::READER_CLIENT_ID);
}

#[test]
fn one_credential_at_a_time_and_the_assertion_type_is_checked() {
    let emulator = start();
    let mut client = client(&emulator);
    let federated = emulator.mint_federated_token(
        demo::AKS_ISSUER,
        demo::AKS_SUBJECT,
        demo::FEDERATED_AUDIENCE,
        600,
    );
    let both = token_request(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &[
            ("client_secret", demo::CLIENT_SECRET),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &federated),
        ],
    );
    let description = entra_error(&both, 400, "invalid_request", 9_002_313);
    assert!(description.contains("not both"), "{description}");

    let untyped = token_request(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &[("client_assertion", &federated)],
    );
    let description = entra_error(&untyped, 400, "invalid_request", 900_144);
    assert!(
        description.contains("'client_assertion_type'"),
        "{description}"
    );

    let saml = token_request(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &[
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            ),
            ("client_assertion", &federated),
        ],
    );
    entra_error(&saml, 400, "invalid_request", 9_002_313);

    let empty = token_request(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &[("client_assertion_type", JWT_BEARER)],
    );
    let description = entra_error(&empty, 400, "invalid_request", 900_144);
    assert!(description.contains("'client_assertion'"), "{description}");

    let neither = token_request(&mut client, demo::TENANT, demo::CLIENT_ID, &[]);
    entra_error(&neither, 401, "invalid_client", 7_000_218);

    // The secret alone still signs in.
    let secret = token_request(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &[("client_secret", demo::CLIENT_SECRET)],
    );
    access_token(&secret);
}

#[test]
fn certificate_assertions_sign_in_with_either_thumbprint() {
    let emulator = with_registered_certificate();
    let mut client = client(&emulator);
    let cert = &*REGISTERED;
    let claims_ = certificate_claims(&emulator, demo::TENANT);

    let sha1 = sign_rs256(&cert.key_pem, &x5t_header(cert), &claims_);
    let token = access_token(&with_assertion(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &sha1,
    ));
    assert_eq!(claims(&token)["appid"], demo::CLIENT_ID);
    assert_eq!(arm_status(&mut client, &token, demo::SUBSCRIPTION), 200);

    let sha256 = sign_rs256(
        &cert.key_pem,
        &json!({"alg": "RS256", "typ": "JWT", "x5t#S256": cert.x5t_s256()}),
        &claims_,
    );
    access_token(&with_assertion(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &sha256,
    ));

    // Some clients send x5t in the standard alphabet, padded.
    let standard = base64::engine::general_purpose::STANDARD
        .encode(URL_SAFE_NO_PAD.decode(cert.x5t()).unwrap_or_default());
    let padded = sign_rs256(
        &cert.key_pem,
        &json!({"alg": "RS256", "typ": "JWT", "x5t": standard}),
        &claims_,
    );
    access_token(&with_assertion(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &padded,
    ));

    // The audience must name this endpoint on the origin the client used.
    let mut localhost = claims_.clone();
    localhost["aud"] = json!(token_url(&emulator, demo::TENANT).replace("127.0.0.1", "LOCALHOST"));
    let assertion = sign_rs256(&cert.key_pem, &x5t_header(cert), &localhost);
    let r = with_assertion(&mut client, demo::TENANT, demo::CLIENT_ID, &assertion);
    entra_error(&r, 401, "invalid_client", 700_023);

    // The certificate is registered in TENANT only.
    let other = sign_rs256(
        &cert.key_pem,
        &x5t_header(cert),
        &certificate_claims(&emulator, demo::OTHER_TENANT),
    );
    let r = with_assertion(&mut client, demo::OTHER_TENANT, demo::CLIENT_ID, &other);
    entra_error(&r, 401, "invalid_client", 700_027);
}

#[test]
fn certificate_assertions_are_refused_as_entra_refuses_them() {
    let emulator = with_registered_certificate();
    let mut client = client(&emulator);
    let cert = &*REGISTERED;
    let good = certificate_claims(&emulator, demo::TENANT);
    let mut send = |header: &Value, claims: &Value, key_pem: &str| {
        let assertion = sign_rs256(key_pem, header, claims);
        with_assertion(&mut client, demo::TENANT, demo::CLIENT_ID, &assertion)
    };

    // A certificate the app does not have.
    let r = send(&x5t_header(&STRANGER), &good, &STRANGER.key_pem);
    let description = entra_error(&r, 401, "invalid_client", 700_027);
    assert!(
        description.contains("The key was not found."),
        "{description}"
    );
    assert!(
        description.contains(&STRANGER.thumbprint()),
        "{description}"
    );

    // The registered certificate's thumbprint, another key's signature.
    let r = send(&x5t_header(cert), &good, &STRANGER.key_pem);
    let description = entra_error(&r, 401, "invalid_client", 700_027);
    assert!(
        description.contains("use of the key to verify the signature failed"),
        "{description}"
    );

    let mut header = x5t_header(cert);
    header["alg"] = json!("PS256");
    let description = entra_error(
        &send(&header, &good, &cert.key_pem),
        401,
        "invalid_client",
        700_027,
    );
    assert!(description.contains("'PS256'"), "{description}");

    for claim in ["iss", "sub"] {
        let mut wrong = good.clone();
        wrong[claim] = json!(demo::READER_CLIENT_ID);
        let r = send(&x5t_header(cert), &wrong, &cert.key_pem);
        let description = entra_error(&r, 401, "invalid_client", 700_021);
        assert!(
            description.contains(&format!(
                "The '{claim}' claim is '{}'",
                demo::READER_CLIENT_ID
            )),
            "{description}"
        );
    }

    let mut v1 = good.clone();
    v1["aud"] = json!(format!("{}/{}/oauth2/token", emulator.url(), demo::TENANT));
    let r = send(&x5t_header(cert), &v1, &cert.key_pem);
    let description = entra_error(&r, 401, "invalid_client", 700_023);
    assert!(description.contains("The 'aud' claim is"), "{description}");
    assert!(
        description.contains(&token_url(&emulator, demo::TENANT)),
        "{description}"
    );

    let now = now();
    for (nbf, exp) in [(now - 900, now - 61), (now + 120, now + 600)] {
        let mut timed = good.clone();
        timed["nbf"] = json!(nbf);
        timed["exp"] = json!(exp);
        let r = send(&x5t_header(cert), &timed, &cert.key_pem);
        entra_error(&r, 401, "invalid_client", 700_024);
    }
    // A minute of skew either way is fine.
    let mut skewed = good.clone();
    skewed["nbf"] = json!(now + 50);
    skewed["exp"] = json!(now + 600);
    access_token(&send(&x5t_header(cert), &skewed, &cert.key_pem));

    let mut timeless = good.clone();
    timeless.as_object_mut().map(|c| c.remove("exp"));
    entra_error(
        &send(&x5t_header(cert), &timeless, &cert.key_pem),
        400,
        "invalid_request",
        50_027,
    );
}

#[test]
fn certificates_can_be_registered_on_a_running_emulator() {
    let emulator = start();
    let mut client = client(&emulator);
    let cert = &*REGISTERED;
    let assertion = sign_rs256(
        &cert.key_pem,
        &x5t_header(cert),
        &certificate_claims(&emulator, demo::OTHER_TENANT),
    );
    let r = with_assertion(&mut client, demo::OTHER_TENANT, demo::CLIENT_ID, &assertion);
    entra_error(&r, 401, "invalid_client", 700_027);

    let added = emulator.with_world(|w| {
        w.add_app_certificate(demo::OTHER_TENANT, demo::CLIENT_ID, cert.cert_der.clone())
    });
    assert!(added);
    assert!(!emulator.with_world(|w| w.add_app_certificate("nope", demo::CLIENT_ID, Vec::new())));
    let token = access_token(&with_assertion(
        &mut client,
        demo::OTHER_TENANT,
        demo::CLIENT_ID,
        &assertion,
    ));
    assert_eq!(claims(&token)["tid"], demo::OTHER_TENANT);
}

fn github(client: &mut Client, query: &str, authorization: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| ("authorization", a))
        .into_iter()
        .collect();
    client
        .send(
            "GET",
            &format!("/github/oidc/token?api-version=2.0{query}"),
            &headers,
            "",
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_github_oidc_endpoint_hands_out_tokens_for_the_demo_workflow() {
    let emulator = start();
    let mut client = client(&emulator);
    assert_eq!(
        emulator.github_oidc_request_url(),
        format!("{}/github/oidc/token?api-version=2.0", emulator.url())
    );
    let right = format!("bearer {}", demo::GITHUB_REQUEST_TOKEN);
    let audience = "&audience=api%3A%2F%2FAzureADTokenExchange";

    let basic = format!("Basic {}", demo::GITHUB_REQUEST_TOKEN);
    for authorization in [None, Some("bearer wrong"), Some(basic.as_str())] {
        let r = github(&mut client, audience, authorization);
        assert_eq!(r.status, 401, "{authorization:?}: {}", r.body);
        assert!(r.json()["message"].is_string(), "{}", r.body);
    }

    let before = now();
    let mut federated = String::new();
    for scheme in ["bearer", "Bearer", "BEARER"] {
        let authorization = right.replacen("bearer", scheme, 1);
        let r = github(&mut client, audience, Some(&authorization));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["count"], 1);
        federated = r.json()["value"].as_str().unwrap_or_default().to_owned();
    }
    let issued = claims(&federated);
    assert_eq!(issued["iss"], demo::GITHUB_ISSUER);
    assert_eq!(issued["sub"], demo::GITHUB_SUBJECT);
    assert_eq!(issued["aud"], demo::FEDERATED_AUDIENCE);
    let lifetime = issued["exp"].as_i64().unwrap_or_default() - before;
    assert!((290..=310).contains(&lifetime), "{issued}");

    let token = access_token(&with_assertion(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &federated,
    ));
    assert_eq!(arm_status(&mut client, &token, demo::SUBSCRIPTION), 200);

    // Without an audience GitHub's default applies, and Entra refuses it.
    let r = github(&mut client, "", Some(&right));
    let defaulted = r.json()["value"].as_str().unwrap_or_default().to_owned();
    assert_eq!(claims(&defaulted)["aud"], demo::GITHUB_DEFAULT_AUDIENCE);
    let r = with_assertion(&mut client, demo::TENANT, demo::CLIENT_ID, &defaulted);
    let description = entra_error(&r, 401, "invalid_client", 70_021);
    assert!(
        description.contains(&format!(
            "Assertion Audience: '{}'",
            demo::GITHUB_DEFAULT_AUDIENCE
        )),
        "{description}"
    );

    let stats = emulator.stats();
    assert_eq!(stats.oidc_requests, 7);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.arm_requests, 1);
    assert_eq!(emulator.arm_requests().len(), 1);
    assert_eq!(emulator.requests().len(), 10);
}

fn identity(client: &mut Client, query: &str, header: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = header
        .map(|h| ("x-identity-header", h))
        .into_iter()
        .chain([("metadata", "true")])
        .collect();
    client
        .send("GET", &format!("/msi/token?{query}"), &headers, "")
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_identity_endpoint_answers_for_the_hosts_managed_identities() {
    let emulator = start();
    let mut client = client(&emulator);
    assert_eq!(
        emulator.identity_endpoint(),
        format!("{}/msi/token", emulator.url())
    );
    let base = "api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com";
    let secret = Some(demo::IDENTITY_HEADER);

    let before = now();
    let system = identity(&mut client, base, secret);
    assert_eq!(system.status, 200, "{}", system.body);
    let body = system.json();
    assert_eq!(body["client_id"], demo::SYSTEM_IDENTITY_CLIENT_ID);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["resource"], "https://management.azure.com");
    let expires_on: i64 = body["expires_on"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("expires_on is a string of seconds: {body}"));
    assert!(expires_on > before + 3000, "{body}");
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(claims(&token)["appid"], demo::SYSTEM_IDENTITY_CLIENT_ID);
    assert_eq!(claims(&token)["tid"], demo::TENANT);
    assert_eq!(arm_status(&mut client, &token, demo::SUBSCRIPTION), 200);

    let user_oid = claims(&emulator.arm_token(demo::TENANT, demo::USER_IDENTITY_CLIENT_ID))["oid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for named in [
        format!("client_id={}", demo::USER_IDENTITY_CLIENT_ID),
        format!(
            "client_id={}",
            demo::USER_IDENTITY_CLIENT_ID.to_ascii_uppercase()
        ),
        format!("principal_id={user_oid}"),
        format!("object_id={user_oid}"),
        format!(
            "mi_res_id={}",
            percent_encoding::utf8_percent_encode(
                demo::USER_IDENTITY_RESOURCE_ID,
                percent_encoding::NON_ALPHANUMERIC
            )
        ),
    ] {
        let r = identity(&mut client, &format!("{base}&{named}"), secret);
        assert_eq!(r.status, 200, "{named}: {}", r.body);
        assert_eq!(
            r.json()["client_id"],
            demo::USER_IDENTITY_CLIENT_ID,
            "{named}"
        );
        let token = r.json()["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(arm_status(&mut client, &token, demo::SUBSCRIPTION), 200);
    }

    let r = identity(
        &mut client,
        &format!("{base}&client_id={}", demo::CLIENT_ID),
        secret,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId."
    );

    for (query, header, status) in [
        (base, None, 400),
        (base, Some("wrong"), 401),
        ("api-version=2019-08-01", secret, 400),
        (
            "api-version=2017-09-01&resource=https%3A%2F%2Fmanagement.azure.com",
            secret,
            400,
        ),
        ("resource=https%3A%2F%2Fmanagement.azure.com", secret, 400),
    ] {
        let r = identity(&mut client, query, header);
        assert_eq!(r.status, status, "{query} {header:?}: {}", r.body);
        assert_eq!(r.json()["statusCode"], status, "{}", r.body);
        assert!(r.json()["message"].is_string(), "{}", r.body);
    }

    // A token for another resource is no good at ARM.
    let graph = identity(
        &mut client,
        "api-version=2019-08-01&resource=https%3A%2F%2Fgraph.microsoft.com",
        secret,
    );
    let token = graph.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(arm_status(&mut client, &token, demo::SUBSCRIPTION), 401);

    let stats = emulator.stats();
    assert_eq!(stats.identity_requests, 13);
    assert_eq!(stats.arm_requests, 7);
    assert_eq!(stats.token_requests, 0);
    assert!(emulator
        .arm_requests()
        .iter()
        .all(|r| !r.path().starts_with("/msi/")));
}

#[test]
fn managed_identities_cannot_use_the_token_endpoint() {
    let emulator = start();
    let mut client = client(&emulator);
    for client_id in [
        demo::SYSTEM_IDENTITY_CLIENT_ID,
        demo::USER_IDENTITY_CLIENT_ID,
    ] {
        let r = token_request(
            &mut client,
            demo::TENANT,
            client_id,
            &[("client_secret", "")],
        );
        entra_error(&r, 400, "unauthorized_client", 700_016);
    }
}

#[test]
fn arm_token_is_what_the_token_endpoint_would_issue() {
    let emulator = start();
    let mut client = client(&emulator);
    let token = emulator.arm_token(demo::TENANT, demo::CLIENT_ID);
    assert_eq!(arm_status(&mut client, &token, demo::SUBSCRIPTION), 200);
    let issued = access_token(&token_request(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        &[("client_secret", demo::CLIENT_SECRET)],
    ));
    let (minted, issued) = (claims(&token), claims(&issued));
    for claim in ["aud", "iss", "tid", "oid", "appid", "sub"] {
        assert_eq!(minted[claim], issued[claim], "{claim}");
    }
    let lifetime =
        |c: &Value| c["exp"].as_i64().unwrap_or_default() - c["iat"].as_i64().unwrap_or_default();
    assert_eq!(lifetime(&minted), 3599);
    assert_eq!(lifetime(&issued), 3599);

    // Another tenant's token is no good for this subscription.
    let other = emulator.arm_token(demo::OTHER_TENANT, demo::CLIENT_ID);
    assert_eq!(arm_status(&mut client, &other, demo::SUBSCRIPTION), 401);
    assert_eq!(
        arm_status(&mut client, &other, demo::OTHER_SUBSCRIPTION),
        200
    );
}
