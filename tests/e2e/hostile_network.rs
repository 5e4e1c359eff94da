//! A hostile or broken network (issue: trust under a hostile network), items 1, 2, 3, 6, 8, 9
//! and 11: redirects, unbounded answers, answers that never come, unbounded secret files,
//! `Retry-After: 0`, plain-http proxies and status URLs with userinfo.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use adxconn_emulator::{demo, RecordedRequest, Sink};
use serde_json::json;

use crate::support::{
    database_flags, eventhub_id, partner_eventhub_id, target, Fault, FaultRule, Run, TestEnv,
};

/// The address-space limit (KiB) runs facing unbounded answers are held to: far below what
/// buffering a 500 MB answer (or an endless one) would take.
const MEMORY_LIMIT_KIB: u64 = 1_500_000;

/// No test waits longer than this for a run, whatever goes wrong.
const RUN_BOUND: Duration = Duration::from_secs(60);

fn create(name: &str, extra: &[&str]) -> Vec<String> {
    crate::support::create_eventhub(name, "telemetry", extra)
}

fn delete(name: &str) -> Vec<String> {
    let mut args = vec!["delete".to_string(), "--yes".to_string()];
    args.extend(target(name));
    args
}

fn show(name: &str) -> Vec<String> {
    let mut args = vec!["show".to_string()];
    args.extend(target(name));
    args
}

fn list() -> Vec<String> {
    let mut args = vec!["list".to_string()];
    args.extend(database_flags());
    args
}

/// A run the test started itself, its output read as it comes so the pipes never fill.
struct Watched {
    child: Child,
    started: Instant,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

/// How a watched run ended.
struct Ended {
    run: Run,
    /// The signal that killed it, if one did (an abort is SIGABRT).
    signal: Option<i32>,
    /// When it ended.
    at: Instant,
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn spawn(mut command: Command) -> Watched {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("adxconn starts");
    let stdout = read_all(child.stdout.take().expect("stdout is piped"));
    let stderr = read_all(child.stderr.take().expect("stderr is piped"));
    Watched {
        child,
        started,
        stdout,
        stderr,
    }
}

impl Watched {
    /// Sends `kill -SIGNAL` to the run; returns when it was sent.
    fn signal(&self, signal: &str) -> Instant {
        crate::support::signal(&self.child, signal)
    }

    /// Waits for the run to end, killing it (and failing the test) if it takes over `bound`.
    fn finish(mut self, bound: Duration) -> Ended {
        loop {
            if let Some(status) = self.child.try_wait().expect("the run can be waited for") {
                let at = Instant::now();
                return Ended {
                    run: Run {
                        code: status.code().unwrap_or(-1),
                        stdout: self.stdout.join().unwrap_or_default(),
                        stderr: self.stderr.join().unwrap_or_default(),
                    },
                    signal: status.signal(),
                    at,
                };
            }
            if self.started.elapsed() > bound {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "adxconn still ran after {bound:?}; killed it\nstderr:\n{}",
                    self.stderr.join().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Waits (at most `bound`) until `done` holds.
#[track_caller]
fn wait_until(what: &str, bound: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < bound,
            "{what} did not happen in {bound:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `args` under the memory limit, bounded in time, checked for leaked secrets.
fn run_limited(env: &TestEnv, args: &[String]) -> Ended {
    let ended = spawn(env.command_with_memory_limit(MEMORY_LIMIT_KIB, args)).finish(RUN_BOUND);
    env.assert_no_secrets(&ended.run);
    ended
}

/// The run ended by itself, with an exit code, not by a signal (an abort, an OOM kill).
#[track_caller]
fn assert_not_aborted(ended: &Ended) {
    assert!(
        ended.signal.is_none() && ended.run.code != 134,
        "adxconn aborted (signal {:?}, exit {})\nstderr:\n{}",
        ended.signal,
        ended.run.code,
        ended.run.stderr
    );
}

#[track_caller]
fn assert_sink_empty(sink: &Sink) {
    let requests = sink.requests();
    assert!(
        requests.is_empty(),
        "the sink at {} received {} request(s): {requests:#?}",
        sink.url(),
        requests.len()
    );
}

fn polls_sent(env: &TestEnv) -> usize {
    env.count("GET", "/operationResults/")
}

// ---------------------------------------------------------------------------------------------
// 1. Redirects are followed nowhere.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_redirect_from_the_token_endpoint_carries_the_secret_nowhere() {
    for (status, plain) in [(307, false), (308, false), (307, true), (308, true)] {
        let env = TestEnv::new();
        let sink = if plain {
            Sink::start_plain_http().unwrap()
        } else {
            env.emulator.start_sink().unwrap()
        };
        let location = format!("{}/{}/oauth2/v2.0/token", sink.url(), demo::TENANT);
        env.emulator.inject(
            FaultRule::new(Fault::Redirect {
                status,
                location: location.clone(),
            })
            .token_endpoint()
            .always(),
        );
        let run = env.run(&list());
        run.expect(1);
        assert!(
            run.stderr.contains(&location),
            "{status} to {location}: names the location\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("follows no redirect"),
            "{status}: says no redirect is followed\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("token endpoint"),
            "{status}: says who redirected\n{}",
            run.stderr
        );
        assert_sink_empty(&sink);
        assert!(
            env.arm_requests().is_empty(),
            "{status}: without a token nothing goes to ARM"
        );
        assert!(
            env.emulator
                .requests()
                .iter()
                .any(RecordedRequest::is_token_request),
            "{status}: the token was asked for (so the redirect was met)"
        );
    }
}

#[test]
fn a_redirected_put_sends_neither_its_body_nor_the_auxiliary_token_elsewhere() {
    let env = TestEnv::new();
    let sink = env.emulator.start_sink().unwrap();
    let location = format!("{}/steal/dataConnections/redirected", sink.url());
    env.emulator.inject(
        FaultRule::new(Fault::Redirect {
            status: 307,
            location: location.clone(),
        })
        .method("PUT")
        .path_contains("/dataConnections/redirected")
        .always(),
    );
    let mut args = vec!["create".to_string(), "eventhub".to_string()];
    args.extend(target("redirected"));
    args.extend([
        "--eventhub-id".to_string(),
        partner_eventhub_id(),
        "--aux-tenant".to_string(),
        demo::OTHER_TENANT.to_string(),
    ]);
    let run = env.run(&args);
    run.expect(1);
    assert!(!run.stdout.contains("Created") && !run.stderr.contains("Created"));
    assert!(run.stderr.contains(&location), "{}", run.stderr);
    assert!(run.stderr.contains("follows no redirect"), "{}", run.stderr);
    assert_sink_empty(&sink);
    // The PUT that met the redirect carried the auxiliary token: following it would have
    // handed that token (and the body) to the sink.
    let puts: Vec<_> = env
        .arm_requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 1, "sent once, not re-sent: {puts:#?}");
    assert!(puts[0].header("x-ms-authorization-auxiliary").is_some());
    assert!(!puts[0].body.is_empty());
    assert!(env.stored("redirected").is_none());
}

#[test]
fn a_redirected_delete_is_not_followed() {
    let env = TestEnv::new();
    env.seed_eventhub("kept", &eventhub_id("telemetry"), "$Default");
    let sink = env.emulator.start_sink().unwrap();
    let location = format!("{}/steal", sink.url());
    env.emulator.inject(
        FaultRule::new(Fault::Redirect {
            status: 307,
            location: location.clone(),
        })
        .method("DELETE")
        .always(),
    );
    let run = env.run(&delete("kept"));
    run.expect(1);
    assert!(run.stderr.contains(&location), "{}", run.stderr);
    assert!(run.stderr.contains("follows no redirect"), "{}", run.stderr);
    assert_sink_empty(&sink);
    assert_eq!(env.count("DELETE", "/dataConnections/kept"), 1);
    assert!(env.stored("kept").is_some());
}

#[test]
fn a_redirected_status_poll_is_not_followed() {
    let env = TestEnv::new();
    let sink = env.emulator.start_sink().unwrap();
    let location = format!("{}/steal/operationResults/x", sink.url());
    env.emulator.inject(
        FaultRule::new(Fault::Redirect {
            status: 307,
            location: location.clone(),
        })
        .method("GET")
        .path_contains("/operationResults/")
        .always(),
    );
    let run = env.run(&create("polled", &[]));
    run.expect(1);
    assert!(run.stderr.contains(&location), "{}", run.stderr);
    assert!(run.stderr.contains("follows no redirect"), "{}", run.stderr);
    assert_sink_empty(&sink);
    assert!(polls_sent(&env) >= 1, "the poll met the redirect");
    assert_eq!(env.count("PUT", "/dataConnections/polled"), 1);
}

// ---------------------------------------------------------------------------------------------
// 2. Bounded answers.
// ---------------------------------------------------------------------------------------------

#[test]
fn adxconn_runs_within_the_memory_limit_the_hostile_answers_are_met_under() {
    let env = TestEnv::new();
    env.seed_eventhub("ordinary", &eventhub_id("telemetry"), "$Default");
    let ended = run_limited(&env, &list());
    assert_not_aborted(&ended);
    ended.run.expect(0);
    assert!(
        ended.run.stdout.contains("ordinary"),
        "{}",
        ended.run.stdout
    );
}

#[test]
fn an_endless_answer_is_cut_off_without_exhausting_memory() {
    let env = TestEnv::new();
    env.seed_eventhub("endless", &eventhub_id("telemetry"), "$Default");
    env.emulator.inject(
        FaultRule::new(Fault::EndlessBody { status: 200 })
            .method("GET")
            .path_contains("/dataConnections/endless")
            .always(),
    );
    let started = Instant::now();
    let ended = run_limited(&env, &show("endless"));
    assert_not_aborted(&ended);
    ended.run.expect(1);
    assert!(
        ended.at - started < Duration::from_secs(5),
        "took {:?}",
        ended.at - started
    );
    assert!(
        ended.run.stderr.contains("the answer is longer than"),
        "{}",
        ended.run.stderr
    );
    assert_eq!(
        env.count("GET", "/dataConnections/endless"),
        1,
        "a refused answer is not asked for again"
    );
}

#[test]
fn a_huge_announced_answer_is_refused_without_exhausting_memory() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::HugeBody {
            status: 200,
            bytes: 500_000_000,
        })
        .method("GET")
        .path_contains("/dataConnections?")
        .always(),
    );
    let started = Instant::now();
    let ended = run_limited(&env, &list());
    assert_not_aborted(&ended);
    ended.run.expect(1);
    assert!(
        ended.at - started < Duration::from_secs(5),
        "took {:?}",
        ended.at - started
    );
    assert!(
        ended.run.stderr.contains("the answer is longer than"),
        "{}",
        ended.run.stderr
    );
}

#[test]
fn a_next_link_to_its_own_page_ends_the_list_at_once() {
    let env = TestEnv::new();
    // The list URL exactly as adxconn asks for it.
    env.run(&list()).expect(0);
    let first = env
        .arm_requests()
        .into_iter()
        .find(|r| r.method == "GET" && r.path().ends_with("/dataConnections"))
        .expect("list GETs the collection");
    let url = format!("{}{}", env.emulator.url(), first.path_and_query);
    env.emulator.clear_requests();

    let items: Vec<_> = (0..200)
        .map(|i| {
            json!({
                "id": format!("{}/{}", first.path(), format!("loop-{i}")),
                "name": format!("{}/{}/loop-{i}", demo::CLUSTER, demo::DATABASE),
                "type": "Microsoft.Kusto/clusters/databases/dataConnections",
                "kind": "EventHub",
                "location": demo::LOCATION,
                "properties": {
                    "eventHubResourceId": eventhub_id("telemetry"),
                    "consumerGroup": "$Default",
                    "provisioningState": "Succeeded",
                },
            })
        })
        .collect();
    env.emulator.inject(
        FaultRule::new(Fault::Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: json!({"value": items, "nextLink": url}).to_string(),
        })
        .method("GET")
        .path_contains("/dataConnections?")
        .always(),
    );
    let started = Instant::now();
    let ended = spawn(env.command(&list())).finish(RUN_BOUND);
    env.assert_no_secrets(&ended.run);
    ended.run.expect(1);
    assert!(
        ended.at - started < Duration::from_secs(5),
        "took {:?}",
        ended.at - started
    );
    assert!(
        ended
            .run
            .stderr
            .contains("points back to a page already read"),
        "{}",
        ended.run.stderr
    );
    let gets = env.count("GET", "/dataConnections?");
    assert!((1..=2).contains(&gets), "{gets} list GETs");
}

// ---------------------------------------------------------------------------------------------
// 3. Hangs yield to signals and to the deadline.
// ---------------------------------------------------------------------------------------------

/// Starts `args`, waits until `hung` holds (the request is at the silent server), lets it
/// hang a little longer, sends `signal`, and returns how the run ended and how long after the
/// signal.
fn interrupt_when(
    env: &TestEnv,
    args: &[String],
    signal: &str,
    hung: impl Fn() -> bool,
) -> (Ended, Duration) {
    let watched = spawn(env.command(args));
    wait_until("the hung request", Duration::from_secs(20), hung);
    std::thread::sleep(Duration::from_millis(1200));
    let sent = watched.signal(signal);
    let ended = watched.finish(RUN_BOUND);
    env.assert_no_secrets(&ended.run);
    let after = ended.at - sent;
    (ended, after)
}

#[test]
fn ctrl_c_ends_a_hung_token_request_at_once() {
    let env = TestEnv::new();
    env.emulator
        .inject(FaultRule::new(Fault::Hang).token_endpoint().always());
    let (ended, after) = interrupt_when(&env, &list(), "INT", || {
        env.emulator
            .requests()
            .iter()
            .any(RecordedRequest::is_token_request)
    });
    assert_not_aborted(&ended);
    ended.run.expect(130);
    assert!(
        after < Duration::from_secs(2),
        "took {after:?} after SIGINT"
    );
    // Nothing was sent to ARM, and the message does not pretend otherwise.
    assert!(
        ended
            .run
            .stderr
            .contains("interrupted: nothing was written")
            && !ended.run.stderr.contains("operation started by"),
        "{}",
        ended.run.stderr
    );
    assert!(env.arm_requests().is_empty());
}

#[test]
fn ctrl_c_during_a_hung_put_says_it_may_or_may_not_have_been_applied() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Hang)
            .method("PUT")
            .path_contains("/dataConnections/hung-put")
            .always(),
    );
    let (ended, after) = interrupt_when(&env, &create("hung-put", &[]), "INT", || {
        env.count("PUT", "/dataConnections/hung-put") > 0
    });
    ended.run.expect(130);
    assert!(
        after < Duration::from_secs(2),
        "took {after:?} after SIGINT"
    );
    assert!(
        ended.run.stderr.contains("PUT https://")
            && ended
                .run
                .stderr
                .contains("may or may not have been applied"),
        "{}",
        ended.run.stderr
    );
    assert_eq!(env.count("PUT", "/dataConnections/hung-put"), 1);
}

#[test]
fn ctrl_c_during_a_hung_status_poll_gives_the_resume_line() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Hang)
            .method("GET")
            .path_contains("/operationResults/")
            .always(),
    );
    let (ended, after) = interrupt_when(&env, &create("hung-poll", &[]), "INT", || {
        polls_sent(&env) > 0
    });
    ended.run.expect(130);
    assert!(
        after < Duration::from_secs(2),
        "took {after:?} after SIGINT"
    );
    assert!(
        ended.run.stderr.contains("adxconn wait --operation '"),
        "{}",
        ended.run.stderr
    );
    // The operation is the PUT's, not the poll's.
    assert!(
        ended
            .run
            .stderr
            .contains("the operation started by `PUT https://"),
        "{}",
        ended.run.stderr
    );
    assert_eq!(env.count("PUT", "/dataConnections/hung-poll"), 1);
}

#[test]
fn sigterm_ends_a_hung_request_like_ctrl_c() {
    let env = TestEnv::new();
    env.seed_eventhub("hung-show", &eventhub_id("telemetry"), "$Default");
    env.emulator.inject(
        FaultRule::new(Fault::Hang)
            .method("GET")
            .path_contains("/dataConnections/hung-show")
            .always(),
    );
    let (ended, after) = interrupt_when(&env, &show("hung-show"), "TERM", || {
        env.count("GET", "/dataConnections/hung-show") > 0
    });
    assert_not_aborted(&ended);
    ended.run.expect(130);
    assert!(
        after < Duration::from_secs(2),
        "took {after:?} after SIGTERM"
    );
    assert!(
        ended
            .run
            .stderr
            .contains("interrupted: nothing was written"),
        "{}",
        ended.run.stderr
    );
}

#[test]
fn the_deadline_ends_a_hung_status_poll_in_seconds() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Hang)
            .method("GET")
            .path_contains("/operationResults/")
            .always(),
    );
    let watched = spawn(env.command(&create("deadline-poll", &["--timeout", "3s"])));
    let started = watched.started;
    let ended = watched.finish(RUN_BOUND);
    env.assert_no_secrets(&ended.run);
    ended.run.expect(4);
    let took = ended.at - started;
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(5),
        "took {took:?}"
    );
    assert!(polls_sent(&env) >= 1, "the poll was the one hanging");
    assert!(
        ended
            .run
            .stderr
            .contains("the operation started by `PUT https://"),
        "{}",
        ended.run.stderr
    );
    assert!(
        ended.run.stderr.contains("gave up after"),
        "{}",
        ended.run.stderr
    );
    assert!(
        ended.run.stderr.contains("adxconn wait --operation '"),
        "{}",
        ended.run.stderr
    );
}

#[test]
fn the_deadline_ends_a_hung_put_without_sending_it_again() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Hang)
            .method("PUT")
            .path_contains("/dataConnections/deadline-put")
            .always(),
    );
    let watched = spawn(env.command(&create("deadline-put", &["--timeout", "3s"])));
    let started = watched.started;
    let ended = watched.finish(RUN_BOUND);
    env.assert_no_secrets(&ended.run);
    ended.run.expect(4);
    let took = ended.at - started;
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        ended
            .run
            .stderr
            .contains("may or may not have been applied"),
        "{}",
        ended.run.stderr
    );
    assert_eq!(env.count("PUT", "/dataConnections/deadline-put"), 1);
}

// ---------------------------------------------------------------------------------------------
// 6. Secret and token files are read within a bound.
// ---------------------------------------------------------------------------------------------

fn a_directory() -> String {
    std::env::temp_dir().display().to_string()
}

#[test]
fn an_endless_or_directory_client_secret_file_is_refused_before_anything_is_sent() {
    let mut env = TestEnv::new();
    env.set_env("AZURE_CLIENT_SECRET", None);
    for path in ["/dev/zero".to_string(), a_directory()] {
        let mut args = list();
        args.extend(["--client-secret-file".to_string(), path.clone()]);
        let started = Instant::now();
        let ended = run_limited(&env, &args);
        assert_not_aborted(&ended);
        ended.run.expect(2);
        assert!(
            ended.at - started < Duration::from_secs(5),
            "{path}: took {:?}",
            ended.at - started
        );
        assert!(
            ended.run.stderr.contains("--client-secret-file"),
            "{path}: names the flag\n{}",
            ended.run.stderr
        );
        assert!(
            env.emulator.requests().is_empty(),
            "{path}: nothing was sent"
        );
    }
}

#[test]
fn an_endless_or_directory_aux_token_file_is_refused_before_anything_is_sent() {
    let env = TestEnv::new();
    for path in ["/dev/zero".to_string(), a_directory()] {
        let mut args = create("aux-file", &[]);
        args.extend(["--aux-token-file".to_string(), path.clone()]);
        let started = Instant::now();
        let ended = run_limited(&env, &args);
        assert_not_aborted(&ended);
        ended.run.expect(2);
        assert!(
            ended.at - started < Duration::from_secs(5),
            "{path}: took {:?}",
            ended.at - started
        );
        assert!(
            ended.run.stderr.contains("--aux-token-file"),
            "{path}: names the flag\n{}",
            ended.run.stderr
        );
        assert!(
            env.emulator.requests().is_empty(),
            "{path}: nothing was sent"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. `Retry-After: 0` does not turn polling into a busy loop.
// ---------------------------------------------------------------------------------------------

#[test]
fn retry_after_zero_does_not_make_polling_a_busy_loop() {
    let env = TestEnv::new();
    env.emulator.set_poll_retry_after(Some(0));
    env.emulator.set_operation_duration(Duration::from_secs(3));
    let started = Instant::now();
    env.run(&create("eager", &[])).expect(0);
    let took = started.elapsed();
    let polls = env.emulator.operation_polls();
    assert!(
        (1..=5).contains(&polls),
        "{polls} polls for a 3 s operation"
    );
    assert!(
        took >= Duration::from_secs(3),
        "the run waited for the operation: {took:?}"
    );
    assert_eq!(
        env.stored("eager").unwrap()["properties"]["provisioningState"],
        "Succeeded"
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Proxies never see a token outside TLS.
// ---------------------------------------------------------------------------------------------

/// Whether a request the sink recorded carries anything a bearer token would be in.
fn carries_a_token(request: &RecordedRequest) -> bool {
    request.header("authorization").is_some()
        || request.header("x-ms-authorization-auxiliary").is_some()
        || request.header("proxy-authorization").is_some()
        || request.body.contains("client_secret")
        || request.body.contains(demo::CLIENT_SECRET)
}

#[test]
fn http_proxy_variables_are_never_used_for_an_https_endpoint() {
    let mut env = TestEnv::new();
    let proxy = Sink::start_plain_http().unwrap();
    env.set_env("HTTP_PROXY", Some(proxy.url()));
    env.set_env("http_proxy", Some(proxy.url()));
    env.set_env("HTTPS_PROXY", None);
    env.set_env("https_proxy", None);
    env.set_env("ALL_PROXY", None);
    env.set_env("all_proxy", None);
    env.run(&create("proxied", &[])).expect(0);
    env.run(&list()).expect(0);
    assert_sink_empty(&proxy);
    assert_eq!(env.count("PUT", "/dataConnections/proxied"), 1);
}

#[test]
fn all_proxy_tunnels_https_and_never_sees_a_token() {
    let mut env = TestEnv::new();
    let proxy = Sink::start_plain_http().unwrap();
    env.set_env("HTTP_PROXY", Some(proxy.url()));
    env.set_env("ALL_PROXY", Some(proxy.url()));
    env.set_env("HTTPS_PROXY", None);
    env.set_env("https_proxy", None);
    // ALL_PROXY is an https proxy too: the requests ask the proxy for a CONNECT tunnel (which
    // this one refuses), so nothing but `host:port` ever reaches it in the clear.
    let run = env.run(&create("tunnelled", &[]));
    assert_ne!(run.code, 0, "{}", run.stderr);
    let requests = proxy.requests();
    assert!(!requests.is_empty(), "ALL_PROXY is used for https");
    for request in &requests {
        assert_eq!(request.method, "CONNECT", "{request:#?}");
        assert!(!carries_a_token(request), "{request:#?}");
    }
    assert!(env.emulator.requests().is_empty(), "nothing went around it");
    assert!(env.stored("tunnelled").is_none());
}

#[test]
fn a_plain_http_endpoint_is_reached_directly_whatever_the_proxy_variables() {
    let mut env = TestEnv::new();
    let arm = Sink::start_plain_http().unwrap();
    let proxy = Sink::start_plain_http().unwrap();
    env.set_env("ADXCONN_ARM_ENDPOINT", Some(arm.url()));
    env.set_env("HTTPS_PROXY", None);
    env.set_env("https_proxy", None);

    // HTTP_PROXY: the token comes from the emulator (https, direct); ARM is plain http.
    env.set_env("HTTP_PROXY", Some(proxy.url()));
    env.set_env("http_proxy", Some(proxy.url()));
    env.run(&list());
    assert!(
        env.emulator
            .requests()
            .iter()
            .any(RecordedRequest::is_token_request),
        "the token came from the emulator"
    );
    assert_sink_empty(&proxy);
    let direct = arm.requests();
    assert!(
        !direct.is_empty() && direct.iter().all(|r| r.path_and_query.starts_with('/')),
        "the plain endpoint was reached directly (origin-form targets): {direct:#?}"
    );

    // ALL_PROXY applies to https only: with a ready-made token (no https request at all),
    // the plain endpoint is still reached directly.
    let token = env
        .emulator
        .mint_token(demo::TENANT, demo::CLIENT_ID, Duration::from_secs(3600));
    env.set_env("ADXCONN_ACCESS_TOKEN", Some(&token));
    env.set_env("AZURE_CLIENT_SECRET", None);
    env.set_env("ALL_PROXY", Some(proxy.url()));
    env.set_env("all_proxy", Some(proxy.url()));
    let before = arm.requests().len();
    env.run(&list());
    assert_sink_empty(&proxy);
    let direct = arm.requests();
    assert!(direct.len() > before, "the plain endpoint was reached");
    assert!(direct.iter().all(|r| r.path_and_query.starts_with('/')));
}

// ---------------------------------------------------------------------------------------------
// 11. Status URLs with userinfo, and status URLs of another scheme.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_status_url_with_userinfo_is_not_followed() {
    let env = TestEnv::new();
    let id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}/databases/{}/dataConnections/userinfo",
        demo::SUBSCRIPTION,
        demo::RESOURCE_GROUP,
        demo::CLUSTER,
        demo::DATABASE
    );
    let status_url = format!(
        "{}/subscriptions/{}/providers/Microsoft.Kusto/locations/West%20Europe/operationResults/op-1?api-version=2025-02-14",
        env.emulator.url().replacen("https://", "https://user:pw@", 1),
        demo::SUBSCRIPTION
    );
    assert!(status_url.starts_with("https://user:pw@127.0.0.1:"));
    let body = json!({
        "id": id,
        "name": format!("{}/{}/userinfo", demo::CLUSTER, demo::DATABASE),
        "type": "Microsoft.Kusto/clusters/databases/dataConnections",
        "kind": "EventHub",
        "location": demo::LOCATION,
        "properties": {
            "eventHubResourceId": eventhub_id("telemetry"),
            "consumerGroup": "$Default",
            "provisioningState": "Creating",
        },
    });
    env.emulator.inject(
        FaultRule::new(Fault::Reply {
            status: 201,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("azure-asyncoperation".into(), status_url),
            ],
            body: body.to_string(),
        })
        .method("PUT")
        .path_contains("/dataConnections/userinfo"),
    );
    let run = env.run(&create("userinfo", &[]));
    run.expect(1);
    assert!(
        run.stderr
            .contains("Azure accepted the PUT, but adxconn will not follow its status URL"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("adxconn wait --id '{id}'")),
        "{}",
        run.stderr
    );
    assert_eq!(polls_sent(&env), 0, "no poll was sent to that URL");
    for request in env.emulator.requests() {
        let authorizations = request
            .headers
            .iter()
            .filter(|(name, _)| name == "authorization")
            .count();
        assert!(authorizations <= 1, "{request:#?}");
        assert!(
            !request
                .header("authorization")
                .is_some_and(|value| value.starts_with("Basic")),
            "{request:#?}"
        );
    }
}

#[test]
fn wait_refuses_a_plain_http_operation_url_on_the_emulators_port() {
    let env = TestEnv::new();
    let url = format!(
        "{}/subscriptions/{}/providers/Microsoft.Kusto/locations/West%20Europe/operationResults/op-1?api-version=2025-02-14",
        env.emulator.url().replacen("https://", "http://", 1),
        demo::SUBSCRIPTION
    );
    let run = env.run(&["wait", "--operation", &url]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("its scheme `http` is not the ARM endpoint's `https`"),
        "{}",
        run.stderr
    );
    assert!(env.emulator.requests().is_empty());
}
