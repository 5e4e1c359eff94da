//! Injectable failures, applied to ARM requests (never to token requests).
//!
//! A [`FaultRule`] says which requests it matches and how many of them it
//! affects; rules are consulted in injection order and the first one with
//! uses left wins. A [`Fault`] says what happens to the request. Faults that
//! answer instead of ARM are decided before anything is applied; faults that
//! lose the answer ([`Fault::LostResponse`]) let the request take effect
//! first, which is what makes retries of non-idempotent calls interesting.

use std::collections::VecDeque;

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
    /// 409 with this Kusto error code (e.g. `ServiceIsInMaintenance`), nothing applied.
    Conflict { code: String },
}

impl Fault {
    /// Whether the request is still handled (and its effects kept) before the
    /// fault hits.
    pub(crate) fn applies_request(&self) -> bool {
        matches!(self, Fault::LostResponse)
    }
}

/// Which ARM requests a [`Fault`] hits, and how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// HTTP method to match (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// Substring of the path and query to match (case-insensitive); `None` matches any.
    pub path_contains: Option<String>,
    pub fault: Fault,
    /// How many matching requests the rule affects before it is used up.
    pub times: usize,
}

impl FaultRule {
    /// A rule hitting the next ARM request, whatever it is, once.
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            method: None,
            path_contains: None,
            fault,
            times: 1,
        }
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

    /// Sets how many matching requests the rule affects.
    #[must_use]
    pub fn times(mut self, times: usize) -> FaultRule {
        self.times = times;
        self
    }

    fn matches(&self, method: &str, path_and_query: &str) -> bool {
        self.times > 0
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path_contains.as_deref().is_none_or(|needle| {
                path_and_query
                    .to_ascii_lowercase()
                    .contains(&needle.to_ascii_lowercase())
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

    /// The fault for this request, using up one application of its rule.
    pub(crate) fn take(&mut self, method: &str, path_and_query: &str) -> Option<Fault> {
        let index = self
            .rules
            .iter()
            .position(|r| r.matches(method, path_and_query))?;
        let rule = self.rules.get_mut(index)?;
        rule.times -= 1;
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }
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
            faults.take("GET", "/x/dataConnections/a"),
            Some(Fault::DropConnection)
        );
        assert_eq!(faults.take("GET", "/x/dataConnections/a"), None);
        assert_eq!(faults.take("PUT", "/y"), Some(Fault::Status(500)));
        assert_eq!(faults.take("PUT", "/y"), Some(Fault::Status(500)));
        assert_eq!(faults.take("PUT", "/y"), None);
    }

    #[test]
    fn zero_times_is_ignored() {
        let mut faults = Faults::default();
        faults.push(FaultRule::new(Fault::Status(500)).times(0));
        assert_eq!(faults.take("GET", "/"), None);
    }
}
