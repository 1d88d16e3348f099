//! Shapes that measure or protect: performance (baseline → profile → optimize → verify),
//! security (threat model → fix → security tests → rollout), research (questions → spike →
//! evaluation → recommendation) and the security phases every sensitive plan gets.
use super::*;

pub(super) fn performance(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let target = if g.targets.is_empty() {
        "at least 20% better p95 latency than the baseline, with no other measured metric worse by more than 5%".to_string()
    } else {
        format!(
            "a measured improvement on the figure the task names ({}) — at least 20% better p95 than the baseline unless the task sets a stricter target — with no other measured metric worse by more than 5%",
            g.targets.join(", ")
        )
    };
    // 01 baseline benchmark
    let mut b = DPhase::new(
        &format!("baseline-{key}"),
        Role::Core,
        format!("Measure the baseline of {subject}"),
        "Write a reproducible benchmark and record today's numbers before changing any code."
            .to_string(),
        2,
    );
    let bench = bench_path(g);
    b.step(format!("Write a benchmark{} that exercises {subject} with fixed, production-shaped inputs and a fixed seed.", bench.as_ref().map(|p| format!(" in `{p}`")).unwrap_or_default()));
    if let Some(p) = &bench {
        b.file(p.clone(), FileAction::Create);
    }
    b.step("Run it 5 times on a quiet machine; record p50, p95, throughput and peak memory, with their spread, in evidence/.".to_string());
    b.criterion("Baseline p50, p95, throughput and peak memory are recorded from 5 runs, with a spread under 5% between runs.".to_string());
    impl_gate(g, &mut b);
    b.phase.rollback = "Revert the benchmark commit; production code is untouched.".to_string();
    let bk = b.key.clone();
    d.phases.push(b);

    // 02 profile
    let mut p = DPhase::new(
        &format!("profile-{key}"),
        Role::Core,
        "Find the hot path",
        "Locate where the time or memory actually goes, with a profile, before theorising."
            .to_string(),
        1,
    );
    p.step(format!("Profile the benchmark with {}.", g.lang.profiler()));
    p.step(format!(
        "Write the top 5 functions by self time (or allocation) into evidence/{}.",
        if src_list.is_empty() {
            String::new()
        } else {
            format!(", noting which are in {}", paths(&src_list))
        }
    ));
    p.step("Pick the change with the best expected gain per line changed; write down the expected gain.".to_string());
    p.criterion("The profile and the top-5 list are saved in evidence/, with the chosen hot path and its expected gain in percent.".to_string());
    p.gate(
        "check: 1 profile saved in evidence/ and the hot path chosen with its expected gain in %"
            .to_string(),
    );
    p.phase.rollback = "Nothing to roll back: profiling changes no file.".to_string();
    p.depends(&bk);
    let pk = p.key.clone();
    d.phases.push(p);

    // 03 optimize
    let mut o = DPhase::new(
        &format!("optimize-{key}"),
        Role::Core,
        format!(
            "Optimize the hot path{}",
            if src_list.is_empty() {
                String::new()
            } else {
                format!(" in {}", paths(&src_list[..1]))
            }
        ),
        "Remove the cost the profile found, one change at a time, behaviour unchanged.".to_string(),
        3,
    );
    for s in &src_list {
        o.file(s.clone(), FileAction::Modify);
    }
    o.step("Make one change at a time and re-run the benchmark after each; keep only changes that improve it.".to_string());
    o.step("Prefer removing work (redundant queries, copies, allocations, repeated parsing) over adding caches or new infrastructure.".to_string());
    for s in &g.services {
        if s.kind == "database" {
            o.step(format!("Check the {} query plans of the hot path (EXPLAIN) for sequential scans and N+1 patterns.", s.name));
        }
    }
    o.criterion(format!("{} exits 0 (behaviour unchanged) and each kept change improves the benchmark by at least 5%.", g.test_cmd()));
    service_steps(g, &mut o);
    impl_gate(g, &mut o);
    o.phase.rollback = "Revert the optimisation commits one by one; each was benchmarked separately, so any can go alone.".to_string();
    o.depends(&pk);
    let ok = o.key.clone();
    d.phases.push(o);

    // 04 verify
    let mut v = DPhase::new(
        &format!("verify-{key}"),
        Role::Core,
        "Verify against the baseline",
        "Show with the same benchmark, inputs and machine that the target is met.".to_string(),
        1,
    );
    v.step("Re-run the baseline benchmark 5 times under the same conditions and compare with the recorded baseline.".to_string());
    v.criterion(format!("The benchmark shows {target}."));
    impl_gate(g, &mut v);
    v.gate(
        "check: benchmark comparison with the recorded baseline (5 runs each) saved in evidence/"
            .to_string(),
    );
    v.phase.rollback = "If the target is missed, revert the optimisation commits and record the measurements for the next attempt.".to_string();
    v.depends(&ok);
    d.phases.push(v);

    let mut r = rollout_phase(g, &key);
    r.step("Watch the production p95 latency of the optimised path for 7 days and compare with the benchmark's prediction.".to_string());
    d.phases.push(r);

    d.out("Optimising code paths other than the one the profile selects.");
    d.out("New caching layers or infrastructure unless the profile proves nothing simpler works.");
    d.rule("No optimisation without a measurement before and after, on the same benchmark.");
}

pub(super) fn bench_path(g: &Grounding) -> Option<String> {
    let stem = snake(&g.stem);
    let p = match g.lang {
        Lang::Rust => {
            let dir = g.source_dir();
            let segs: Vec<&str> = dir.split('/').collect();
            let krate = match segs.iter().position(|s| *s == "src") {
                Some(i) if i > 0 => format!("{}/", segs[..i].join("/")),
                _ => String::new(),
            };
            format!("{krate}benches/{stem}.rs")
        }
        Lang::Python => format!("benchmarks/bench_{stem}.py"),
        Lang::Go => {
            let dir = g.source_dir();
            format!(
                "{}{stem}_bench_test.go",
                if dir.is_empty() {
                    String::new()
                } else {
                    format!("{dir}/")
                }
            )
        }
        Lang::TypeScript => format!("bench/{}.bench.ts", kebab(&stem)),
        Lang::JavaScript => format!("bench/{}.bench.js", kebab(&stem)),
        Lang::Java | Lang::Kotlin => format!(
            "src/jmh/java/{}Benchmark.java",
            crate::offline::planner::ground::pascal(&stem)
        ),
        _ => return None,
    };
    Some(g.fresh(&p))
}

pub(super) fn security_kind(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let aspects = prose_list(
        &g.sensitive
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "untrusted input",
    );
    let doc = g.fresh(&format!("{}/security/{}.md", g.docs_dir(), kebab(&g.stem)));
    // 01 threat model
    let mut t = DPhase::new(
        &format!("security-threat-model-{key}"),
        Role::Security,
        format!("Threat model {subject}"),
        format!("Write down who can attack {subject}, through which entry points, and what they gain, before changing code."),
        2,
    );
    t.step(format!(
        "List the entry points{} and the assets behind them.",
        if src_list.is_empty() {
            String::new()
        } else {
            format!(" in {}", paths(&src_list))
        }
    ));
    t.step(format!("For {aspects}, write at least one concrete abuse case per entry point: attacker, input, expected refusal."));
    t.step("Rate each abuse case by impact and likelihood; the plan fixes every high one and lists the rest in out-of-scope.".to_string());
    t.file(doc.clone(), FileAction::Create);
    t.criterion(format!(
        "`{doc}` lists at least 1 abuse case per entry point, each with a rating."
    ));
    t.gate(format!(
        "check: threat model in `{doc}` reviewed by a second engineer"
    ));
    t.phase.rollback = format!("Delete `{doc}`; no code changed.");
    let tk = t.key.clone();
    d.phases.push(t);

    // 02 fix
    let mut f = DPhase::new(
        &format!("fix-{key}"),
        Role::Core,
        format!(
            "Close the holes in {}",
            if src_list.is_empty() {
                "the affected code".into()
            } else {
                paths(&src_list)
            }
        ),
        "Fix every high-rated abuse case at the boundary where untrusted data enters.".to_string(),
        3,
    );
    for s in &src_list {
        let why = g
            .reason_of(s)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        f.step(format!(
            "Fix `{s}`{why}: validate and reject at the boundary, deny by default."
        ));
        f.file(s.clone(), FileAction::Modify);
    }
    f.step("Use the framework's vetted mechanisms (parameterised queries, output encoding, constant-time comparison, standard crypto); no home-made escaping or crypto.".to_string());
    f.step(
        "Make every refusal fail closed, with an error that does not leak internals.".to_string(),
    );
    for t in g.topics.iter().filter(|t| t.sensitive) {
        for s in t.design.iter().take(2) {
            f.step(format!("{s}."));
        }
    }
    let has_term = |ws: &[&str]| g.terms.iter().any(|t| ws.contains(&t.as_str()));
    if has_term(&["sql", "injection", "sqli"]) {
        f.step("Replace every query built by string concatenation or formatting in the touched files with parameterised queries or the query builder; search the diff for string-built SQL and leave 0.".to_string());
    }
    if has_term(&["xss", "html", "script"]) {
        f.step("Encode output for its context (HTML, attribute, URL, JavaScript) with the template engine's escaping; never insert user data as raw HTML.".to_string());
    }
    if has_term(&["csrf"]) {
        f.step("Require a per-session anti-CSRF token (or SameSite=strict cookies plus an Origin check) on every state-changing request.".to_string());
    }
    if has_term(&["traversal", "path"]) {
        f.step("Resolve every user-supplied path against the allowed base directory and refuse any result outside it (after canonicalisation).".to_string());
    }
    if has_term(&["ssrf"]) {
        f.step("Allow outgoing requests only to an allow-list of hosts; refuse private and link-local addresses after DNS resolution.".to_string());
    }
    f.criterion(format!("{} exits 0; every high-rated abuse case from the threat model is closed by a change in this phase (1 change per case, listed in the commit messages).", g.test_cmd()));
    service_steps(g, &mut f);
    impl_gate(g, &mut f);
    f.phase.rollback = "Revert the fix commits only together with a mitigation (WAF rule, feature disabled); never reopen a known hole silently.".to_string();
    f.depends(&tk);
    let fk = f.key.clone();
    d.phases.push(f);

    // 03 security tests
    let mut s = security_phase(g, d);
    s.depends(&fk);
    d.phases.push(s);

    // 04 rollout
    let mut r = rollout_phase(g, &key);
    if g.sensitive.contains(&"secrets and credentials") {
        r.step(format!("Rotate every secret that may have been exposed{} and invalidate sessions or tokens issued with it.", if g.env_vars.is_empty() { String::new() } else { format!(" ({})", g.env_vars.iter().map(|e| code(e)).collect::<Vec<_>>().join(", ")) }));
    }
    r.step("Tell the people who must know (security contact, affected users if data was exposed), following the project's disclosure policy.".to_string());
    d.phases.push(r);

    d.out("Hardening outside the threat model's entry points.");
    d.out("Replacing the authentication or framework stack.");
    d.rule("Never log secrets, tokens, passwords or session identifiers.");
}

/// The security phase: abuse cases and negative tests for the sensitive aspects.
pub fn security_phase(g: &Grounding, d: &Draft) -> DPhase {
    let key = k(g);
    let aspects = prose_list(
        &g.sensitive
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "untrusted input",
    );
    // The code this plan changes: modified sources first, else the code it creates.
    let mut src_list: Vec<String> = Vec::new();
    for action in [FileAction::Modify, FileAction::Create] {
        for p in &d.phases {
            for f in &p.phase.files {
                if f.action == action
                    && crate::offline::planner::paths::is_code_path(&f.path)
                    && !crate::offline::planner::paths::is_test_path(&f.path)
                    && !src_list.contains(&f.path)
                    && src_list.len() < 3
                {
                    src_list.push(f.path.clone());
                }
            }
        }
        if !src_list.is_empty() {
            break;
        }
    }
    let mut s = DPhase::new(
        &d.fresh_key(&format!("security-{key}")),
        Role::Security,
        format!("Security tests for {aspects}"),
        format!("Show the change opens no hole in {aspects}: every abuse case has a test that proves the request is refused."),
        2,
    );
    let tl = tests_label(g);
    s.step(format!(
        "Write the abuse cases for {aspects} around this change (who calls it, with what input, what they would gain) as tests in {tl}."
    ));
    let on = if src_list.is_empty() {
        "the touched code".to_string()
    } else {
        paths(&src_list)
    };
    for a in &g.sensitive {
        let step = match *a {
            "authentication" if g.terms.iter().any(|t| matches!(t.as_str(), "login" | "signin" | "logon" | "password" | "passwords")) => format!(
                "Test that a failed login does not reveal whether the account exists (same message, similar timing), and that credentials never reach a log line, on every path touched in {on}."
            ),
            "authentication" => format!("Test that requests without credentials, or with expired or forged ones, are refused with 401 on every path touched in {on}."),
            "sessions" => "Test that session ids rotate on login, are invalidated server-side on logout, and that cookies carry Secure, HttpOnly and SameSite.".to_string(),
            "secrets and credentials" => format!(
                "Check that no password, token or secret{} is logged, returned in an error or committed: grep the diff and the test logs for the test secrets.",
                secret_envs(g)
            ),
            "authorization" => "Test that a caller without the permission gets 403 and that changing an id in the request cannot reach another user's data.".to_string(),
            "cryptography" => "Test that a tampered signature or ciphertext is rejected; use the platform's vetted primitives only.".to_string(),
            "file uploads" => "Test that oversize files, disallowed types and names containing `../` are refused before anything is stored.".to_string(),
            "brute-force abuse" => "Test that repeated failed attempts from one key are limited and that the limit cannot be bypassed by varying headers such as X-Forwarded-For unless the proxy is trusted.".to_string(),
            _ => format!("Test that malformed, oversized and injection-shaped input (SQL, HTML/script, shell metacharacters) is rejected or escaped at the boundary of {on}."),
        };
        s.step(step);
    }
    if let Some(l) = &g.lint {
        s.step(format!(
            "Run `{}` and fix every new warning in the touched files.",
            l.command
        ));
    }
    s.step(format!(
        "Run the dependency audit for {} ({}) on any package this plan adds.",
        g.lang.name(),
        audit_tool(g.lang)
    ));
    if g.focus.test().is_some() {
        test_file(&mut s, g);
        s.criterion(format!(
            "Every abuse case has a test in {tl}; {} exits 0 with all of them passing.",
            g.test_cmd()
        ));
    } else {
        s.criterion(format!(
            "Every abuse case has a passing negative test; {} exits 0.",
            g.test_cmd()
        ));
    }
    s.criterion("0 secrets or tokens appear in the test logs (a grep for the test secret values returns 0 hits).".to_string());
    for c in g.impl_gate() {
        s.gate(c);
    }
    s.gate("check: every abuse case listed maps to a passing negative test".to_string());
    s.phase.rollback = "Security tests are not rolled back on their own: if one fails, revert the change it guards (the implementation phase) instead.".to_string();
    s
}

/// The security gate of a research plan: every option assessed for the sensitive aspects the
/// task touches, written into the research document.
pub(super) fn research_security_phase(g: &Grounding, d: &Draft) -> DPhase {
    let key = k(g);
    let aspects = prose_list(
        &g.sensitive
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "untrusted input",
    );
    let doc = d
        .phases
        .iter()
        .flat_map(|p| p.phase.files.iter())
        .find(|f| f.path.ends_with(".md"))
        .map(|f| f.path.clone())
        .unwrap_or_else(|| format!("{}/research/{}.md", g.docs_dir(), kebab(&g.stem)));
    let mut s = DPhase::new(
        &d.fresh_key(&format!("security-assessment-{key}")),
        Role::Security,
        format!("Security assessment of each option for {aspects}"),
        format!("Know what each option changes for {aspects} before one is recommended."),
        1,
    );
    s.step(format!("For each option, write in `{doc}` how callers authenticate, how traffic is encrypted in transit, where secrets live and how they rotate."));
    s.step(format!("List the attack surface each option adds or removes for {aspects}, and the mitigations it needs."));
    if !g.sources.is_empty() {
        s.step(format!("Check how {} would change under each option, and what would need a security review in the follow-up.", g.sources_prose(2, "the touched code")));
    }
    s.step("Rule out any option that would need a protection switched off to work.".to_string());
    s.criterion(format!("`{doc}` has a security section with 1 entry per option covering authentication, transport encryption and secrets."));
    s.gate(format!("check: the security section of `{doc}` covers 100% of the options and was reviewed by a second engineer"));
    s.phase.rollback = format!("Revert the security section of `{doc}`; no code changed.");
    s
}

pub(super) fn secret_envs(g: &Grounding) -> String {
    let secrets: Vec<String> = g
        .env_vars
        .iter()
        .filter(|v| {
            let l = v.to_lowercase();
            ["secret", "key", "token", "password", "jwt", "session"]
                .iter()
                .any(|w| l.contains(w))
        })
        .map(|v| code(v))
        .collect();
    if secrets.is_empty() {
        String::new()
    } else {
        format!(" ({})", secrets.join(", "))
    }
}

pub(super) fn audit_tool(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "`cargo audit`",
        Lang::Python => "`pip-audit`",
        Lang::Go => "`govulncheck`",
        Lang::TypeScript | Lang::JavaScript => "`npm audit`",
        Lang::Java | Lang::Kotlin => "OWASP dependency-check",
        Lang::Ruby => "`bundler-audit`",
        Lang::CSharp => "`dotnet list package --vulnerable`",
        Lang::Php => "`composer audit`",
        Lang::Other => "the ecosystem's advisory database",
    }
}

pub(super) fn research(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let options = pair(
        &g.task,
        &[
            &format!(
                r"(?i)\bcompar(?:e|ing)\s+(?P<a>.+?)\s+(?:and|with|to|vs\.?|versus)\s+(?P<b>.+?){END}"
            ),
            &format!(r"(?i)\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?){END}"),
            &format!(r"(?i)\b(?P<a>\S+)\s+(?:vs\.?|versus)\s+(?P<b>.+?){END}"),
        ],
    );
    let opts = options
        .as_ref()
        .map(|(a, b)| format!("{a} and {b}"))
        .unwrap_or_else(|| {
            "the candidate approaches (at least 2, including doing nothing)".to_string()
        });
    let doc = g.fresh(&format!("{}/research/{}.md", g.docs_dir(), kebab(&g.stem)));
    let spike_branch = format!("spike/{}", kebab(&g.stem));
    // 01 questions
    let mut q = DPhase::new(
        &format!("questions-{key}"),
        Role::Core,
        "Frame the questions and decision criteria",
        format!("Say what must be learned about {subject} and how the options will be judged, before any experiment."),
        1,
    );
    q.step(format!(
        "Write the questions to answer and the options to compare — {opts} — into `{doc}`."
    ));
    q.step("Write weighted decision criteria (for example latency, operational cost, team familiarity, migration effort), each with how it will be measured.".to_string());
    q.step(format!(
        "Record the constraints from the repository: {}",
        g.repo_summary()
    ));
    q.file(doc.clone(), FileAction::Create);
    q.criterion(format!("`{doc}` lists at least 2 options and at least 3 weighted criteria, each with a measurement method."));
    q.gate(format!(
        "check: questions and criteria in `{doc}` agreed with the requester"
    ));
    q.phase.rollback = format!("Delete `{doc}`; nothing else changed.");
    let qk = q.key.clone();
    d.phases.push(q);

    // 02 spike
    let mut s = DPhase::new(
        &format!("spike-{key}"),
        Role::Core,
        "Time-boxed spike",
        format!("Build the smallest prototype of each option that can answer the questions, on a throwaway branch `{spike_branch}`."),
        4,
    );
    s.step(format!("Time-box the spike to 3 days; on branch `{spike_branch}`, prototype each option against the same scenario{}.", if g.sources.is_empty() { String::new() } else { format!(" touching {}", paths(&g.sources.iter().take(2).cloned().collect::<Vec<_>>())) }));
    s.step("Measure every criterion that can be measured; write down how each number was obtained so it can be reproduced.".to_string());
    for n in &g.new_services {
        s.step(format!(
            "Run {} locally (container) for the spike only; it is not provisioned anywhere else.",
            n.name
        ));
    }
    s.criterion("100% of the options have a measured value for every measurable criterion, recorded with its command or script.".to_string());
    s.gate(
        "check: 100% of the spike measurements recorded; 0 commits of the spike branch merged"
            .to_string(),
    );
    s.phase.rollback = format!("Delete the branch `{spike_branch}`; nothing was merged.");
    s.depends(&qk);
    let sk = s.key.clone();
    d.phases.push(s);

    // 03 evaluate
    let mut e = DPhase::new(
        &format!("evaluate-{key}"),
        Role::Core,
        "Evaluate the options against the criteria",
        "Score every option on every criterion from the spike's measurements.".to_string(),
        1,
    );
    e.step(format!("Fill a scoring table in `{doc}`: options × criteria, with the measured numbers and the weighted total."));
    e.step("List the risks and unknowns the spike could not resolve, with what it would take to resolve them.".to_string());
    e.criterion("The scoring table has a value in 100% of its cells, or an explicit 'unknown' with the reason.".to_string());
    e.gate("check: the scoring table has a value in 100% of its cells".to_string());
    e.phase.rollback = "Revert the evaluation edits to the research document.".to_string();
    e.depends(&sk);
    let ek = e.key.clone();
    d.phases.push(e);

    // 04 recommendation
    let mut r = DPhase::new(
        &format!("recommend-{key}"),
        Role::Core,
        "Written recommendation",
        "Recommend one option with its reasons, and outline the implementation plan that would follow.".to_string(),
        1,
    );
    r.step(format!("Write the recommendation, the rejected options with the reason for each, and a follow-up task for the implementation at the end of `{doc}`."));
    r.step(
        "Present it to the people who will own the result and record their decision.".to_string(),
    );
    r.criterion("The recommendation names 1 option, cites at least 2 measured criteria for it, and the decision is recorded.".to_string());
    r.gate(
        "check: 1 recommendation reviewed and the decision recorded in the research document"
            .to_string(),
    );
    r.phase.rollback = "Mark the recommendation as withdrawn in the document; no production change exists to undo.".to_string();
    r.depends(&ek);
    d.phases.push(r);

    d.out("Any production change: the spike code is thrown away and the implementation is a separate task.");
    d.out("Provisioning any candidate service beyond a local container.");
    d.rule("No production code changes: only documents are merged; the follow-up implementation starts behind a feature flag, default off.");
}
