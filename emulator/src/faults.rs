//! Injectable failures, applied to ARM requests or, for rules built with
//! [`FaultRule::token_endpoint`], to Entra ID token requests instead.
//!
//! A [`FaultRule`] says which requests it matches and how many of them it
//! affects; rules are consulted in injection order and the first one with
//! uses left wins. A [`Fault`] says what happens to the request. Faults that
//! answer instead of ARM are decided before anything is applied; faults that
//! lose the answer ([`Fault::LostResponse`]) let the request take effect
//! first, which is what makes retries of non-idempotent calls interesting.
//!
//! Besides the failures of a healthy but busy service, some faults play a
//! hostile or broken server (a redirect elsewhere, an answer that never
//! comes, an endless or huge body, a debug proxy reflecting the request, an
//! arbitrary verbatim answer), so a client's defences can be tested.
//!
//! A [`FaultMix`] adds background noise for soak tests: every ARM request
//! that no rule claims draws from a deterministic generator seeded by
//! [`FaultMix::seed`]. Each request consumes exactly two draws whatever its
//! method or outcome, so the n-th ARM request handled always meets the same
//! luck: a run is reproducible up to the interleaving of concurrent clients,
//! never dependent on timing. The mix never touches token requests.

use std::collections::VecDeque;

use crate::http::{Outcome, Reply, Streamed};
use crate::log::RecordedRequest;
use crate::text::percent_decode;

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 `SubscriptionRequestsThrottled` with `Retry-After: retry_after_secs`.
    Throttle { retry_after_secs: u64 },
    /// An ARM error with this status (500 `InternalServerError`, 503
    /// `ServiceUnavailable`, 504 `GatewayTimeout`, ...), nothing applied.
    Status(u16),
    /// Close the connection without answering, before applying anything.
    DropConnection,
    /// Apply and commit the request, then close the connection without answering.
    LostResponse,
    /// 409 with this Kusto error code, nothing applied: Kusto's transient
    /// conflicts, `ServiceIsInMaintenance` (the cluster is being
    /// maintained) or `RequestConflict` / `Conflict` (another operation is
    /// in progress). Limit the rule with [`FaultRule::times`] for a
    /// conflict that clears.
    Conflict { code: String },
    /// `status` with ARM's error envelope `{"error":{"code","message"}}`
    /// and ARM's headers, nothing applied: any failure a test wants worded
    /// its way. With [`FaultRule::always`] and [`FaultRule::connection`], a
    /// connection whose every delete fails:
    ///
    /// ```no_run
    /// # let emulator = adxconn_emulator::Emulator::start(adxconn_emulator::World::demo())?;
    /// use adxconn_emulator::{Fault, FaultRule};
    /// emulator.inject(
    ///     FaultRule::new(Fault::Error {
    ///         status: 403,
    ///         code: "DeleteLocked".to_owned(),
    ///         message: "The data connection is locked.".to_owned(),
    ///     })
    ///     .method("DELETE")
    ///     .connection("dc7")
    ///     .always(),
    /// );
    /// # Ok::<(), std::io::Error>(())
    /// ```
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// `status` (301, 302, 303, 307 or 308) with `Location: location` and
    /// an empty body, nothing applied: a server sending the client, and
    /// whatever credentials it would forward, somewhere else.
    Redirect { status: u16, location: String },
    /// Never answer: the connection stays open and silent until the client
    /// closes it or the emulator is dropped (other connections are served
    /// meanwhile). Tests a client's timeouts.
    Hang,
    /// `status`, `content-type: application/json`, then a chunked body that
    /// never ends (`{"value":[` and `{"name":"x"},` forever), as fast as the
    /// client reads. Tests a client's limit on what it buffers.
    EndlessBody { status: u16 },
    /// `status` and a JSON list body of exactly `bytes` bytes with a correct
    /// `Content-Length`, generated while written (500 MB costs the emulator
    /// one 64 KiB chunk). Tests a client's limit on announced sizes.
    HugeBody { status: u16, bytes: u64 },
    /// `status` with ARM's error envelope, code `Echo`, whose message is
    /// every request header as a `name: value` line, an empty line, then the
    /// raw request body: a misconfigured debug proxy reflecting the request,
    /// bearer tokens and client secrets included. Tests that a client keeps
    /// error messages it shows or logs free of secrets.
    Echo { status: u16 },
    /// Exactly this answer, no headers added but the framing ones
    /// (`content-length`, `date`). Headers hyper refuses to write (names or
    /// values with control characters other than tab) are left out.
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

impl Fault {
    /// Whether the request is still handled (and its effects kept) before the
    /// fault hits.
    pub(crate) fn applies_request(&self) -> bool {
        matches!(self, Fault::LostResponse)
    }
}

/// Which requests a [`Fault`] hits, and how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// HTTP method to match (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// Substring of the path and query to match (case-insensitive); `None` matches any.
    pub path_contains: Option<String>,
    /// How the path (without the query, percent-decoded) must end
    /// (case-insensitive); `None` matches any.
    pub path_ends_with: Option<String>,
    pub fault: Fault,
    /// How many matching requests the rule affects before it is used up;
    /// [`usize::MAX`] means no limit.
    pub times: usize,
    /// Whether the rule matches Entra ID token requests
    /// (`/{tenant}/oauth2/v2.0/token`) instead of ARM requests.
    pub token_endpoint: bool,
}

impl FaultRule {
    /// A rule hitting the next ARM request, whatever it is, once.
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            method: None,
            path_contains: None,
            path_ends_with: None,
            fault,
            times: 1,
            token_endpoint: false,
        }
    }

    /// Makes the rule hit token requests instead of ARM requests (the
    /// method and path filters still apply). [`Fault::LostResponse`] there
    /// issues the token and drops the connection, which changes nothing a
    /// client can tell from [`Fault::DropConnection`]; the statuses and
    /// throttling answer in Entra's error shape.
    #[must_use]
    pub fn token_endpoint(mut self) -> FaultRule {
        self.token_endpoint = true;
        self
    }

    /// Restricts the rule to one HTTP method.
    #[must_use]
    pub fn method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_owned());
        self
    }

    /// Restricts the rule to requests whose path and query contain `needle`.
    #[must_use]
    pub fn path_contains(mut self, needle: &str) -> FaultRule {
        self.path_contains = Some(needle.to_owned());
        self
    }

    /// Restricts the rule to requests whose path (without the query,
    /// percent-decoded) ends with `suffix`.
    #[must_use]
    pub fn path_ends_with(mut self, suffix: &str) -> FaultRule {
        self.path_ends_with = Some(suffix.to_owned());
        self
    }

    /// Restricts the rule to requests on the data connection `name` (in any
    /// database): `path_ends_with("/dataConnections/{name}")`. Kusto's
    /// transient 409 on the next three deletes of `dc1`:
    ///
    /// ```no_run
    /// # let emulator = adxconn_emulator::Emulator::start(adxconn_emulator::World::demo())?;
    /// use adxconn_emulator::{Fault, FaultRule};
    /// let conflict = Fault::Conflict { code: "RequestConflict".to_owned() };
    /// emulator.inject(FaultRule::new(conflict).method("DELETE").connection("dc1").times(3));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn connection(self, name: &str) -> FaultRule {
        self.path_ends_with(&format!("/dataConnections/{name}"))
    }

    /// Sets how many matching requests the rule affects; [`usize::MAX`]
    /// means every one, for as long as the emulator runs.
    #[must_use]
    pub fn times(mut self, times: usize) -> FaultRule {
        self.times = times;
        self
    }

    /// Makes the rule affect every matching request: `times(usize::MAX)`.
    #[must_use]
    pub fn always(self) -> FaultRule {
        self.times(usize::MAX)
    }

    fn matches(&self, token_endpoint: bool, method: &str, path_and_query: &str) -> bool {
        self.times > 0
            && self.token_endpoint == token_endpoint
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path_contains.as_deref().is_none_or(|needle| {
                path_and_query
                    .to_ascii_lowercase()
                    .contains(&needle.to_ascii_lowercase())
            })
            && self.path_ends_with.as_deref().is_none_or(|suffix| {
                let path = path_and_query
                    .split_once('?')
                    .map_or(path_and_query, |(path, _)| path);
                percent_decode(path)
                    .to_ascii_lowercase()
                    .ends_with(&suffix.to_ascii_lowercase())
            })
    }
}

/// The injected rules, in injection order.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: VecDeque<FaultRule>,
}

impl Faults {
    pub(crate) fn push(&mut self, rule: FaultRule) {
        if rule.times > 0 {
            self.rules.push_back(rule);
        }
    }

    /// The fault for this request (a token request when `token_endpoint`),
    /// using up one application of its rule unless it is unlimited.
    pub(crate) fn take(
        &mut self,
        token_endpoint: bool,
        method: &str,
        path_and_query: &str,
    ) -> Option<Fault> {
        let index = self
            .rules
            .iter()
            .position(|r| r.matches(token_endpoint, method, path_and_query))?;
        let rule = self.rules.get_mut(index)?;
        if rule.times != usize::MAX {
            rule.times -= 1;
        }
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }
}

/// Probabilities (each 0 to 1) of random faults on ARM requests no
/// [`FaultRule`] claims. They are stacked in field order on one uniform draw,
/// so their sum should not exceed 1 (what exceeds it is cut off); negative
/// or NaN values count as 0.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultMix {
    pub seed: u64,
    /// 429 `SubscriptionRequestsThrottled` with `Retry-After: 1`.
    pub throttle: f64,
    /// 500, 502, 503 or 504 (chosen by a second draw), nothing applied.
    pub server_error: f64,
    /// The connection closed before anything is applied.
    pub drop_connection: f64,
    /// Writes only: applied and committed, then the connection closed.
    pub lost_response: f64,
    /// Writes only: Kusto's 409 `ServiceIsInMaintenance`, nothing applied.
    pub conflict: f64,
}

impl FaultMix {
    /// A mix with no faults; set the probabilities wanted.
    pub fn new(seed: u64) -> FaultMix {
        FaultMix {
            seed,
            throttle: 0.0,
            server_error: 0.0,
            drop_connection: 0.0,
            lost_response: 0.0,
            conflict: 0.0,
        }
    }
}

/// The statuses a random server error picks from.
const SERVER_ERRORS: [u16; 4] = [500, 502, 503, 504];

/// A [`FaultMix`] and its generator.
#[derive(Debug)]
pub(crate) struct MixState {
    mix: FaultMix,
    rng: SplitMix64,
}

impl MixState {
    pub(crate) fn new(mix: FaultMix) -> MixState {
        MixState {
            rng: SplitMix64(mix.seed),
            mix,
        }
    }

    /// The random fault for the next ARM request, if any. `is_write` gates
    /// the write-only faults; their share of the draw is kept either way so
    /// reads and writes see the same sequence.
    pub(crate) fn draw(&mut self, is_write: bool) -> Option<Fault> {
        let roll = self.rng.next_unit();
        let pick = self.rng.next_u64();
        let p = |x: f64| if x.is_nan() { 0.0 } else { x.max(0.0) };
        let m = &self.mix;
        let server_error = SERVER_ERRORS
            .get(usize::try_from(pick % 4).unwrap_or(0))
            .copied()
            .unwrap_or(500);
        let choices = [
            (
                p(m.throttle),
                Some(Fault::Throttle {
                    retry_after_secs: 1,
                }),
            ),
            (p(m.server_error), Some(Fault::Status(server_error))),
            (p(m.drop_connection), Some(Fault::DropConnection)),
            (p(m.lost_response), is_write.then_some(Fault::LostResponse)),
            (
                p(m.conflict),
                is_write.then(|| Fault::Conflict {
                    code: "ServiceIsInMaintenance".to_owned(),
                }),
            ),
        ];
        let mut upper = 0.0;
        for (probability, fault) in choices {
            upper += probability;
            if roll < upper {
                return fault;
            }
        }
        None
    }
}

/// Steele, Lea and Flood's SplitMix64: tiny, fast, and good enough to
/// spread faults; not for anything secret.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, from the top 53 bits.
    fn next_unit(&mut self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
        let top = (self.next_u64() >> 11) as f64;
        top / (1u64 << 53) as f64
    }
}

/// The name a fault is counted under in [`Stats::faults`](crate::Stats::faults).
pub(crate) fn fault_name(fault: &Fault) -> String {
    match fault {
        Fault::Throttle { .. } => "throttle".to_owned(),
        Fault::Status(status) | Fault::Error { status, .. } if *status >= 500 => {
            "server_error".to_owned()
        }
        Fault::Status(status) | Fault::Error { status, .. } => format!("status_{status}"),
        Fault::DropConnection => "drop_connection".to_owned(),
        Fault::LostResponse => "lost_response".to_owned(),
        Fault::Conflict { .. } => "conflict".to_owned(),
        Fault::Redirect { .. } => "redirect".to_owned(),
        Fault::Hang => "hang".to_owned(),
        Fault::EndlessBody { .. } => "endless_body".to_owned(),
        Fault::HugeBody { .. } => "huge_body".to_owned(),
        Fault::Echo { .. } => "echo".to_owned(),
        Fault::Reply { .. } => "reply".to_owned(),
    }
}

/// The outcome of the faults that answer the same on ARM and on the token
/// endpoint, verbatim (none of ARM's usual headers); `None` for the faults
/// each endpoint words its own way.
pub(crate) fn verbatim_outcome(fault: &Fault, req: &RecordedRequest) -> Option<Outcome> {
    let json = || vec![("content-type".to_owned(), "application/json".to_owned())];
    let outcome = match fault {
        Fault::DropConnection => Outcome::Drop,
        Fault::Hang => Outcome::Hang,
        Fault::Redirect { status, location } => Outcome::Reply(Reply {
            status: *status,
            headers: vec![("location".to_owned(), location.clone())],
            body: Vec::new(),
        }),
        Fault::EndlessBody { status } => Outcome::Stream {
            status: *status,
            headers: json(),
            body: Streamed::EndlessList,
        },
        Fault::HugeBody { status, bytes } => Outcome::Stream {
            status: *status,
            headers: json(),
            body: Streamed::SizedList(*bytes),
        },
        Fault::Echo { status } => {
            let mut message = String::new();
            for (name, value) in &req.headers {
                message.push_str(name);
                message.push_str(": ");
                message.push_str(value);
                message.push('\n');
            }
            message.push('\n');
            message.push_str(&req.body);
            Outcome::Reply(Reply::arm_error(*status, "Echo", message))
        }
        Fault::Reply {
            status,
            headers,
            body,
        } => Outcome::Reply(Reply {
            status: *status,
            headers: headers.clone(),
            body: body.clone().into_bytes(),
        }),
        Fault::Throttle { .. }
        | Fault::Status(_)
        | Fault::Error { .. }
        | Fault::LostResponse
        | Fault::Conflict { .. } => return None,
    };
    Some(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order_and_run_out() {
        let mut faults = Faults::default();
        faults.push(FaultRule::new(Fault::Status(500)).method("put").times(2));
        faults.push(FaultRule::new(Fault::DropConnection).path_contains("/DATACONNECTIONS/"));
        assert_eq!(
            faults.take(false, "GET", "/x/dataConnections/a"),
            Some(Fault::DropConnection)
        );
        assert_eq!(faults.take(false, "GET", "/x/dataConnections/a"), None);
        assert_eq!(faults.take(false, "PUT", "/y"), Some(Fault::Status(500)));
        assert_eq!(faults.take(false, "PUT", "/y"), Some(Fault::Status(500)));
        assert_eq!(faults.take(false, "PUT", "/y"), None);
    }

    #[test]
    fn connection_rules_match_that_connection_only() {
        let mut faults = Faults::default();
        faults.push(
            FaultRule::new(Fault::Status(409))
                .connection("dc1")
                .always(),
        );
        let base =
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Kusto/clusters/c/databases/d";
        for hit in [
            format!("{base}/dataConnections/dc1?api-version=x"),
            format!("{base}/DATACONNECTIONS/DC1"),
            format!("{base}/dataConnections/d%631?api-version=x"),
        ] {
            assert_eq!(
                faults.take(false, "DELETE", &hit),
                Some(Fault::Status(409)),
                "{hit}"
            );
        }
        for miss in [
            format!("{base}/dataConnections/dc10?api-version=x"),
            format!("{base}/dataConnections/adc1"),
            format!("{base}/dataConnections?x=/dataConnections/dc1"),
        ] {
            assert_eq!(faults.take(false, "DELETE", &miss), None, "{miss}");
        }
    }

    #[test]
    fn zero_times_is_ignored() {
        let mut faults = Faults::default();
        faults.push(FaultRule::new(Fault::Status(500)).times(0));
        assert_eq!(faults.take(false, "GET", "/"), None);
    }

    #[test]
    fn token_endpoint_rules_match_only_token_requests() {
        let mut faults = Faults::default();
        faults.push(FaultRule::new(Fault::Status(503)).token_endpoint());
        faults.push(FaultRule::new(Fault::Status(500)));
        assert_eq!(
            faults.take(false, "POST", "/t/oauth2/v2.0/token"),
            Some(Fault::Status(500))
        );
        assert_eq!(faults.take(false, "POST", "/t/oauth2/v2.0/token"), None);
        assert_eq!(
            faults.take(true, "POST", "/t/oauth2/v2.0/token"),
            Some(Fault::Status(503))
        );
        assert_eq!(faults.take(true, "POST", "/t/oauth2/v2.0/token"), None);
    }

    #[test]
    fn unlimited_rules_never_run_out() {
        let mut faults = Faults::default();
        faults.push(FaultRule::new(Fault::Hang).always());
        faults.push(
            FaultRule::new(Fault::Status(500))
                .times(usize::MAX)
                .token_endpoint(),
        );
        for _ in 0..1000 {
            assert_eq!(faults.take(false, "GET", "/"), Some(Fault::Hang));
            assert_eq!(faults.take(true, "POST", "/"), Some(Fault::Status(500)));
        }
    }

    fn mix(seed: u64) -> FaultMix {
        FaultMix {
            throttle: 0.1,
            server_error: 0.1,
            drop_connection: 0.1,
            lost_response: 0.1,
            conflict: 0.1,
            ..FaultMix::new(seed)
        }
    }

    fn names(state: &mut MixState, writes: impl Iterator<Item = bool>) -> Vec<Option<String>> {
        writes
            .map(|w| state.draw(w).as_ref().map(fault_name))
            .collect()
    }

    #[test]
    fn mixes_are_reproducible_and_roughly_proportional() {
        let pattern = || (0..10_000).map(|i| i % 3 == 0);
        let a = names(&mut MixState::new(mix(7)), pattern());
        assert_eq!(a, names(&mut MixState::new(mix(7)), pattern()));
        assert_ne!(a, names(&mut MixState::new(mix(8)), pattern()));
        let count = |name: &str| a.iter().filter(|n| n.as_deref() == Some(name)).count();
        for name in ["throttle", "server_error", "drop_connection"] {
            assert!(
                (800..1200).contains(&count(name)),
                "{name}: {}",
                count(name)
            );
        }
        // Write-only faults hit a third of the requests' share.
        for name in ["lost_response", "conflict"] {
            assert!((200..470).contains(&count(name)), "{name}: {}", count(name));
        }
        // A read in the write-only band goes unfaulted, but uses up its draw.
        let reads = names(&mut MixState::new(mix(7)), (0..10_000).map(|_| false));
        for (read, any) in reads.iter().zip(&a) {
            match any.as_deref() {
                Some("lost_response" | "conflict") => assert_eq!(read, &None),
                _ => assert_eq!(read, any),
            }
        }
    }

    #[test]
    fn odd_probabilities_are_tamed() {
        let mut all = MixState::new(FaultMix {
            throttle: 5.0,
            server_error: f64::NAN,
            ..FaultMix::new(1)
        });
        assert!((0..100).all(|_| matches!(
            all.draw(true),
            Some(Fault::Throttle {
                retry_after_secs: 1
            })
        )));
        let mut none = MixState::new(FaultMix {
            throttle: -1.0,
            server_error: f64::NAN,
            ..FaultMix::new(1)
        });
        assert!((0..100).all(|_| none.draw(true).is_none()));
        let mut errors = MixState::new(FaultMix {
            server_error: 1.0,
            ..FaultMix::new(3)
        });
        let mut seen: Vec<u16> = (0..200)
            .filter_map(|_| match errors.draw(false) {
                Some(Fault::Status(s)) => Some(s),
                _ => None,
            })
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, SERVER_ERRORS);
    }
}
