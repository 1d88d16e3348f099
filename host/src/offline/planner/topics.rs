//! Engineering knowledge the offline planner brings to common task topics (rate limiting,
//! caching, uploads, token auth, …): the design decisions to take, the edge cases to test,
//! the measurable criteria and the honest out-of-scope items of each. A task matches a topic
//! when one of its cues occurs in the lowercased task; several topics may match.

/// One topic of engineering knowledge.
#[derive(Debug)]
pub struct Topic {
    /// Short name, also the stem of new files (`rate_limit` → `app/rate_limit.py`).
    pub name: &'static str,
    /// Substrings of the lowercased task that select the topic.
    pub cues: &'static [&'static str],
    /// Whether the topic deserves its own new module beside the files it changes.
    pub module: bool,
    /// Decisions to take and write down before implementing.
    pub design: &'static [&'static str],
    /// Cases the tests must cover.
    pub edge_cases: &'static [&'static str],
    /// Measurable success criteria.
    pub criteria: &'static [&'static str],
    /// Task-specific things this plan does not do.
    pub out_of_scope: &'static [&'static str],
    /// Service kind the topic naturally stores its state in, when the probe found one.
    pub store_kind: Option<&'static str>,
    /// Whether the topic is security-sensitive on its own.
    pub sensitive: bool,
}

/// The topic table. Order matters only for which topic names new files when several match.
pub const TOPICS: &[Topic] = &[
    Topic {
        name: "rate_limit",
        cues: &["rate limit", "rate-limit", "ratelimit", "throttl", "brute force", "brute-force"],
        module: true,
        design: &[
            "Choose the limiter key (client IP, account id, or both for login) and the algorithm (fixed window, sliding window or token bucket); write the choice and its reason in the module docstring",
            "Make the limits configuration with safe defaults (for example 5 attempts per minute per key) instead of constants in the handler",
            "Answer a limited request with HTTP 429 and a Retry-After header, and decide whether a limiter-store outage fails open (serve) or closed (refuse)",
        ],
        edge_cases: &[
            "the request that exceeds the limit inside one window gets 429 with Retry-After, the ones before it do not",
            "the counter resets once the window has passed",
            "two different keys never share a counter",
            "the limiter-store outage path behaves as the chosen fail-open or fail-closed policy",
        ],
        criteria: &[
            "A burst of limit+1 requests in one window yields exactly 1 response with status 429 in the test suite",
            "Added latency of the limiter on the request path is under 5 ms at p95 in the benchmark or load test",
        ],
        out_of_scope: &[
            "Global rate limiting shared across regions or data centres",
            "Rate limiting of endpoints the task does not name",
        ],
        store_kind: Some("cache"),
        sensitive: true,
    },
    Topic {
        name: "cache",
        cues: &["cache", "caching", "memoiz"],
        module: true,
        design: &[
            "Define the cache key scheme (including every input the result depends on) and the TTL of each entry",
            "Decide invalidation: which writes evict which keys, and write it next to the write paths",
            "Protect against stampedes on a cold key (single-flight or early refresh)",
        ],
        edge_cases: &[
            "a read right after a write never serves the stale value",
            "an expired entry is recomputed once, not once per concurrent caller",
            "when the cache store is unavailable the code falls through to the source of truth",
        ],
        criteria: &[
            "Cache hit ratio is reported as a metric and reaches at least 80% on the benchmark workload",
            "p95 latency of the cached operation improves by at least 30% against the phase-00 baseline",
        ],
        out_of_scope: &["Caching of operations other than the one the task names", "A distributed cache-invalidation bus"],
        store_kind: Some("cache"),
        sensitive: false,
    },
    Topic {
        name: "pagination",
        cues: &["paginat", "cursor", "infinite scroll", "page size"],
        module: false,
        design: &[
            "Choose cursor or offset pagination; cursors need a stable, unique sort key",
            "Cap the page size server-side and document the default",
        ],
        edge_cases: &[
            "an empty result returns an empty page and no next cursor",
            "the last page has no next cursor",
            "rows inserted while paging are neither skipped nor duplicated",
            "a page size above the cap is clamped, a malformed cursor gets a 400",
        ],
        criteria: &["Walking every page of a 1,000-row fixture returns each row exactly once"],
        out_of_scope: &["Total-count queries on large tables", "Changing endpoints other than the ones the task names"],
        store_kind: Some("database"),
        sensitive: false,
    },
    Topic {
        name: "token_auth",
        cues: &["oidc", "jwt", "oauth", "openid", "sso", "saml", "bearer token", "id token", "access token"],
        module: true,
        design: &[
            "Define one resolver interface that turns a request into an authenticated principal, whatever the token type",
            "Validate issuer, audience, expiry and not-before on every token, with an explicit clock-skew allowance (for example 60 s)",
            "Cache signing keys (JWKS) with a refresh on unknown key id, so key rotation does not cause an outage",
        ],
        edge_cases: &[
            "an expired token is rejected with 401, a token valid within the skew allowance is accepted",
            "a token for another audience or issuer is rejected",
            "a token signed with a rotated-out key is rejected, one signed with the new key is accepted after a JWKS refresh",
            "both old-style and new-style tokens are accepted during the transition window",
        ],
        criteria: &[
            "Every token-validation rule has a negative test: 0 accepted forged, expired or wrong-audience tokens in the suite",
            "Authentication failures are counted by 1 metric labelled by reason, visible in the test run",
        ],
        out_of_scope: &["Changing the identity provider's configuration", "User-facing login screens"],
        store_kind: None,
        sensitive: true,
    },
    Topic {
        name: "session",
        cues: &["session"],
        module: false,
        design: &[
            "Define the session record (id, principal, created, last seen, expiry) and its serialisation",
            "Keep session ids opaque, random (at least 128 bits) and rotated on login and privilege change",
            "Decide the expiry policy (idle and absolute timeouts) and where it is enforced",
        ],
        edge_cases: &[
            "an expired session is rejected and removed",
            "logout invalidates the session server-side, not only the cookie",
            "a session created before the change still works or is cleanly re-created",
        ],
        criteria: &["Session read adds under 5 ms at p95 to a request in the load test", "0 sessions lost across a rolling restart in the staging check"],
        out_of_scope: &["Single sign-on across applications", "Changing the login flow itself"],
        store_kind: Some("cache"),
        sensitive: true,
    },
    Topic {
        name: "upload",
        cues: &["upload", "attachment", "multipart"],
        module: true,
        design: &[
            "Set a maximum size and an allow-list of content types, checked on the bytes (magic numbers), not the client's header",
            "Generate storage names server-side; never use the client's file name in a path",
            "Decide where files live (object store or disk) and who may read them back",
        ],
        edge_cases: &[
            "a file over the size limit is refused with 413 before it is fully read",
            "a file whose bytes do not match an allowed type is refused",
            "a file name with `../` or NUL bytes cannot escape the storage directory",
            "an empty upload is refused with a clear message",
        ],
        criteria: &["0 path-traversal or oversize uploads accepted by the negative tests", "Uploads of the maximum size complete in under 2 s on the test runner"],
        out_of_scope: &["Virus scanning of uploaded files", "Image transformations (thumbnails, resizing)"],
        store_kind: Some("object-store"),
        sensitive: true,
    },
    Topic {
        name: "export",
        cues: &["export", "csv", "download report", "xlsx"],
        module: true,
        design: &[
            "Stream the export row by row instead of building it in memory",
            "Escape cells that start with =, +, - or @ to prevent spreadsheet formula injection",
            "Decide the size above which exports run as a background job",
        ],
        edge_cases: &[
            "an export with 0 rows has a header line only",
            "cells containing commas, quotes and newlines round-trip",
            "a cell starting with = is exported escaped",
        ],
        criteria: &["Exporting 100,000 rows keeps peak memory under 100 MB", "The export of the fixture matches the golden file with 0 differing bytes"],
        out_of_scope: &["Other export formats than the one the task names", "Scheduled or emailed exports"],
        store_kind: Some("database"),
        sensitive: false,
    },
    Topic {
        name: "search",
        cues: &["search", "full-text", "fulltext", "autocomplete"],
        module: false,
        design: &[
            "Decide what is indexed and how the index is kept in sync with writes",
            "Define ranking and how the query is parsed; escape user input before it reaches the engine",
        ],
        edge_cases: &[
            "an empty query returns a 400 or an empty result, as documented",
            "special characters in the query do not cause errors",
            "a newly written record is searchable within the documented delay",
        ],
        criteria: &["Search p95 latency under 200 ms on the fixture data set", "The top result is the expected one for each of the 10 golden queries"],
        out_of_scope: &["Relevance tuning beyond the golden queries", "Search analytics"],
        store_kind: Some("search"),
        sensitive: false,
    },
    Topic {
        name: "notifications",
        cues: &["email", "notification", "notify", "sms", "push message"],
        module: true,
        design: &[
            "Send through a queue or background job so a slow provider cannot block a request",
            "Make sends idempotent (one message per event id) and retried with backoff",
            "Keep templates separate from code and include an unsubscribe path where the law requires it",
        ],
        edge_cases: &[
            "a provider timeout is retried and does not send twice",
            "an invalid recipient is recorded, not retried forever",
            "a user who opted out receives nothing",
        ],
        criteria: &["0 duplicate sends when the same event is processed twice in the tests", "Failed sends are counted by a metric and retried at most 5 times"],
        out_of_scope: &["A notification preferences UI", "New delivery channels the task does not name"],
        store_kind: Some("queue"),
        sensitive: false,
    },
    Topic {
        name: "webhooks",
        cues: &["webhook"],
        module: true,
        design: &[
            "Verify an HMAC signature on every incoming webhook with a constant-time comparison, and reject stale timestamps",
            "Make processing idempotent on the event id; acknowledge fast and process asynchronously",
            "For outgoing webhooks, retry with exponential backoff and a dead-letter record",
        ],
        edge_cases: &[
            "a request with a bad or missing signature is rejected with 401",
            "the same event delivered twice is processed once",
            "a replayed event older than the tolerance window is rejected",
        ],
        criteria: &["0 unsigned or replayed events accepted by the negative tests", "Webhook acknowledgement p95 under 100 ms"],
        out_of_scope: &["A UI for managing webhook subscriptions", "Event types the task does not name"],
        store_kind: Some("queue"),
        sensitive: true,
    },
    Topic {
        name: "background_jobs",
        cues: &["background job", "job queue", "worker", "cron", "scheduled job", "async job"],
        module: true,
        design: &[
            "Make each job idempotent so a retry after a crash is harmless",
            "Set retry limits with backoff and a dead-letter destination for jobs that keep failing",
            "Expose queue depth and job failure counts as metrics",
        ],
        edge_cases: &[
            "a job that crashes midway is retried and produces the result once",
            "a job that fails every time ends in the dead-letter destination after the retry limit",
            "shutting a worker down finishes or requeues the job in flight",
        ],
        criteria: &["Queue depth returns to 0 within 5 minutes after a burst of 1,000 jobs in staging", "0 jobs lost across a worker restart in the integration test"],
        out_of_scope: &["Autoscaling of workers", "Migrating existing jobs the task does not name"],
        store_kind: Some("queue"),
        sensitive: false,
    },
    Topic {
        name: "observability",
        cues: &["logging", "metrics", "tracing", "observability", "telemetry", "monitoring", "alert"],
        module: false,
        design: &[
            "List the signals to emit (metric names, log fields, span names) and their labels, keeping label cardinality bounded",
            "Never log secrets, tokens or personal data; redact at the logging boundary",
        ],
        edge_cases: &[
            "a request that fails emits the error metric and a log line with the request id",
            "a value that looks like a token is redacted in the log output",
        ],
        criteria: &["100% of the new metrics appear in the test scrape with the expected labels", "Logging overhead under 2% of request time in the benchmark"],
        out_of_scope: &["Building dashboards in the monitoring vendor's UI", "Changing log retention"],
        store_kind: None,
        sensitive: false,
    },
    Topic {
        name: "retries",
        cues: &["retry", "retries", "timeout", "circuit breaker", "backoff", "resilien"],
        module: true,
        design: &[
            "Set an explicit timeout on every outbound call the task touches",
            "Retry only idempotent operations, with exponential backoff, jitter and a maximum attempt count",
            "Decide what the caller sees when retries are exhausted",
        ],
        edge_cases: &[
            "a call that times out is retried up to the maximum and then fails with a clear error",
            "a non-idempotent call is never retried",
            "backoff delays grow and are capped",
        ],
        criteria: &["Under an injected 50% failure rate the operation still succeeds in at least 99% of test runs", "No call waits longer than its configured timeout plus 10%"],
        out_of_scope: &["Retries for calls the task does not name", "A service mesh or proxy-level retry policy"],
        store_kind: None,
        sensitive: false,
    },
    Topic {
        name: "permissions",
        cues: &["permission", "rbac", "role-based", "authoriz", "access control", "acl", "admin only", "admin-only"],
        module: true,
        design: &[
            "Write the permission matrix (role × action × resource) before coding it",
            "Check permissions in one place on the server side, deny by default",
        ],
        edge_cases: &[
            "a user without the permission gets 403 and the action has no effect",
            "a user cannot act on another tenant's or user's resource by changing an id",
            "a role change takes effect on the next request",
        ],
        criteria: &["Every cell of the permission matrix has a test: 0 unauthorized actions succeed"],
        out_of_scope: &["A role-management UI", "Permissions for resources the task does not name"],
        store_kind: Some("database"),
        sensitive: true,
    },
    Topic {
        name: "cli_option",
        cues: &["flag", "subcommand", "command line", "command-line", "cli "],
        module: false,
        design: &[
            "Name the option, its type, its default and its help text; keep it consistent with the existing options",
            "Validate the value at parse time and exit with a usage error (non-zero status, message on stderr) when it is invalid",
        ],
        edge_cases: &[
            "the option's absence keeps today's behaviour",
            "an invalid value exits with a usage error and the help text names the valid values",
            "the option combines correctly with the existing options",
        ],
        criteria: &["`--help` lists the new option with its default", "An invalid value exits with status 2 and a message naming the option"],
        out_of_scope: &["Reworking the existing options", "Shell completion scripts"],
        store_kind: None,
        sensitive: false,
    },
    Topic {
        name: "i18n",
        cues: &["i18n", "translation", "locale", "internationali", "locali"],
        module: false,
        design: &[
            "Move user-visible strings to message catalogues with keys; keep a fallback locale",
            "Format dates, numbers and plurals with locale-aware functions",
        ],
        edge_cases: &[
            "a missing translation falls back to the default locale, never to the key",
            "right-to-left and long strings do not break the layout",
        ],
        criteria: &["0 hard-coded user-visible strings left in the touched files (checked by search)"],
        out_of_scope: &["Translating content into new languages", "Locale-specific business rules"],
        store_kind: None,
        sensitive: false,
    },
];

/// The topics whose cues occur in `task` (lowercased internally), in table order.
pub fn matching(task: &str) -> Vec<&'static Topic> {
    let lower = format!(" {} ", task.to_lowercase());
    TOPICS
        .iter()
        .filter(|t| t.cues.iter().any(|c| lower.contains(c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_match_by_cue() {
        let names: Vec<&str> = matching("Add rate limiting to the login endpoint")
            .iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, vec!["rate_limit"]);
        let names: Vec<&str> = matching("Rewrite the auth middleware to unify OIDC and legacy JWT")
            .iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, vec!["token_auth"]);
        assert!(matching("Rename the variable").is_empty());
    }

    #[test]
    fn every_topic_is_complete() {
        for t in TOPICS {
            assert!(
                !t.design.is_empty() && !t.edge_cases.is_empty(),
                "{}",
                t.name
            );
            assert!(
                !t.criteria.is_empty() && !t.out_of_scope.is_empty(),
                "{}",
                t.name
            );
            assert!(
                t.criteria
                    .iter()
                    .all(|c| c.chars().any(|ch| ch.is_ascii_digit()) || c.contains('`')),
                "{}: criteria must be measurable",
                t.name
            );
        }
    }
}
