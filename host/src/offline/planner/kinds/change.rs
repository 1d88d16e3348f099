//! Shapes that change what exists: refactor (characterize → introduce → move callers →
//! remove old), data and platform migrations, replacement (seam → new → parity → switch →
//! remove old), and the task-text parsing they share ("from X to Y", "replace X with Y").
use super::*;
use crate::offline::planner::focus::MOVING_VERBS as MOVING;
use crate::text::cap_first;

/// Leading verbs that make a refactor a removal in place: no new module, no "new structure".
const REMOVING: &[&str] = &["remove", "delete", "drop", "strip"];

/// Two things a task relates, e.g. "unify OIDC and legacy JWT" → ("OIDC", "legacy JWT").
pub(super) fn pair(task: &str, patterns: &[&str]) -> Option<(String, String)> {
    for p in patterns {
        let re = Regex::new(p).expect("pair patterns are valid");
        if let Some(c) = re.captures(task) {
            let a = clip(c.name("a").map(|m| m.as_str()).unwrap_or(""));
            let b = clip(c.name("b").map(|m| m.as_str()).unwrap_or(""));
            if !a.is_empty() && !b.is_empty() {
                return Some((a, b));
            }
        }
    }
    None
}

/// At most 6 words, trailing punctuation and filler removed.
pub(super) fn clip(s: &str) -> String {
    let s = s.trim().trim_end_matches(['.', ',', ';', ':', '!']);
    let s = s.strip_prefix("the ").unwrap_or(s);
    let words: Vec<&str> = s.split_whitespace().take(6).collect();
    words.join(" ")
}

pub(super) const END: &str = r"(?:\s+(?:flows?|in|for|across|with|so|while|and keep|,)\b|[,.;:]|$)";

pub(super) fn refactor(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let unify = pair(
        &g.task,
        &[&format!(
            r"(?i)\bunif(?:y|ies|ying)\s+(?:the\s+)?(?P<a>.+?)\s+and\s+(?P<b>.+?){END}"
        )],
    );
    // 01 characterization
    let mut c = DPhase::new(
        &format!("characterize-{key}"),
        Role::Core,
        "Pin current behaviour with characterization tests",
        format!(
            "Record what {} does today so the restructuring can be proven behaviour-preserving.",
            if src_list.is_empty() {
                "the code".into()
            } else {
                paths(&src_list)
            }
        ),
        2,
    );
    c.step(format!(
        "List the public entry points of {} and every caller of them.",
        if src_list.is_empty() {
            "the code the task names".into()
        } else {
            paths(&src_list)
        }
    ));
    let tl = tests_label(g);
    c.step(format!("Write characterization tests in {tl} that record today's outputs for representative inputs, including the error paths."));
    test_file(&mut c, g);
    c.criterion(format!(
        "Characterization tests in {tl} pass on the unchanged code: {} exits 0.",
        g.test_cmd()
    ));
    if let Some((a, b)) = &unify {
        c.step(format!("Cover both the {a} path and the {b} path with the same scenarios, so differences between them are written down before they are unified."));
    }
    c.criterion(
        "Every public entry point listed has at least 1 characterization test.".to_string(),
    );
    impl_gate(g, &mut c);
    c.phase.rollback =
        "Revert the commit that adds the characterization tests; no production code changed."
            .to_string();
    let ck = c.key.clone();
    d.phases.push(c);

    // 02 new structure beside the old — or, for a removal, the removal in place
    let verb = g.focus.verb.unwrap_or("");
    let moved = g.focus.moved();
    let removing = unify.is_none() && REMOVING.contains(&verb);
    let mut n = DPhase::new(
        &format!("introduce-{key}"),
        Role::Core,
        match &unify {
            Some((a, b)) => format!("Introduce one interface for {a} and {b}"),
            None if removing => format!("{} {subject} where it is defined", cap_first(verb)),
            None => format!("Introduce the new structure for {subject}"),
        },
        if removing {
            "Take out what the task names where it is defined; callers follow in the next phase."
        } else {
            "Build the target structure beside the old one, without moving any caller yet."
        }
        .to_string(),
        3,
    );
    if let Some((a, b)) = &unify {
        n.step(format!("Define a single interface that both the {a} and the {b} implementations satisfy; callers will depend on it only."));
        n.step(format!("Adapt the {a} code and the {b} code to the interface without changing their behaviour."));
    } else if !removing && moved.is_empty() {
        n.step(format!("Create the new structure for {subject} with the responsibilities written at the top of the module."));
    }
    // A new module only where the task asks for one (a file it names, a move or an extraction)
    // or the index resolved nothing to change in place; never for a removal.
    let module = if removing {
        None
    } else if MOVING.contains(&verb) || !g.focus.create.is_empty() {
        g.module_to_create(&g.stem)
    } else {
        g.shape_module(&g.stem)
    };
    if let Some((mp, parent)) = module {
        // A named move already says where the code goes (the focus's "Create … and move" step).
        if moved.is_empty() {
            n.step(format!(
                "Put the new structure in `{mp}`; the old code stays in place and working."
            ));
        }
        n.file(mp, FileAction::Create);
        if let Some(parent) = parent {
            n.step(format!("Declare the new module in `{parent}`."));
            n.file(parent, FileAction::Modify);
        }
    }
    for t in &g.topics {
        for s in t.design.iter().take(2) {
            n.step(format!("{s}."));
        }
    }
    if removing {
        n.criterion(format!("The characterization tests that do not exercise what was removed pass unchanged: {} exits 0.", g.test_cmd()));
    } else {
        n.criterion(format!("Unit tests of the new structure pass and the characterization tests pass unchanged: {} exits 0.", g.test_cmd()));
        n.criterion("0 callers changed in this phase (the diff touches only new files and module declarations).".to_string());
    }
    impl_gate(g, &mut n);
    n.depends(&ck);
    let nk = n.key.clone();
    d.phases.push(n);

    // 03 move callers
    let mut m = DPhase::new(
        &format!("move-callers-{key}"),
        Role::Core,
        "Move callers to the new structure",
        "Switch every caller to the new structure one at a time, behaviour unchanged.".to_string(),
        3,
    );
    for s in &src_list {
        let why = g
            .reason_of(s)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        m.step(format!(
            "Switch the callers in `{s}`{why} to the new structure; run {} after each file.",
            g.test_cmd()
        ));
        m.file(s.clone(), FileAction::Modify);
    }
    if src_list.is_empty() {
        m.step(format!(
            "Switch callers one at a time; run {} after each.",
            g.test_cmd()
        ));
    }
    m.step(
        "Do not edit the characterization tests: a change there means behaviour changed."
            .to_string(),
    );
    if g.deployable.is_some() {
        m.step("Route the switched callers through a toggle that re-selects the old path at run time until the old path is removed, so a production problem is undone without a deploy.".to_string());
    }
    m.criterion(format!("{} exits 0 after every caller switch, with the characterization tests unmodified (0 changed lines in their file).", g.test_cmd()));
    service_steps(g, &mut m);
    impl_gate(g, &mut m);
    m.phase.rollback = "Revert the caller switches commit by commit; the old structure is still present, so each revert restores a working state.".to_string();
    m.depends(&nk);
    let mk = m.key.clone();
    d.phases.push(m);

    // 04 remove old path
    let mut r = DPhase::new(
        &format!("remove-old-{key}"),
        Role::Core,
        "Remove the old path",
        "Delete the code no caller uses any more, so only one way remains.".to_string(),
        2,
    );
    if moved.is_empty() {
        r.step("Search for remaining references to the old functions; there must be none outside the code being deleted.".to_string());
    } else {
        r.step(format!("Search for remaining uses of the old {}; there must be none outside the code being deleted (callers import the moved code from its new file).", prose_list(&moved, "")));
    }
    r.step("Delete the old implementation and any compatibility shim added while introducing the new structure.".to_string());
    for s in &src_list {
        r.file(s.clone(), FileAction::Modify);
    }
    r.criterion(
        "A search for the old entry points returns 0 hits outside the changelog.".to_string(),
    );
    r.criterion(format!(
        "The characterization tests still pass unchanged: {} exits 0.",
        g.test_cmd()
    ));
    impl_gate(g, &mut r);
    r.phase.rollback = "Revert the removal commit; callers already use the new structure, so the old code simply comes back unused.".to_string();
    r.depends(&mk);
    d.phases.push(r);

    d.out("Behaviour changes: any change in observable behaviour found during the refactor is a separate task.");
    d.out("Performance work on the restructured code beyond keeping it at the phase-00 level.");
    d.rule("No behaviour change: the characterization tests are not edited once they pass on the unchanged code.");
}

/// Whether a migration moves data (stores, schemas) rather than a platform or library version.
pub fn is_data_migration(g: &Grounding) -> bool {
    let data_words = [
        "table",
        "tables",
        "schema",
        "column",
        "columns",
        "data",
        "database",
        "records",
        "rows",
        "storage",
        "store",
        "sessions",
        "session",
        "collection",
        "index",
    ];
    g.services
        .iter()
        .any(|s| s.kind == "database" && !s.why.contains("relevant"))
        || g.new_services
            .iter()
            .any(|s| matches!(s.kind, "database" | "cache" | "object-store" | "search"))
        || g.terms.iter().any(|t| data_words.contains(&t.as_str()))
}

/// "from X to Y" / "to Y" in a task.
pub(super) fn from_to(task: &str) -> (String, String) {
    if let Some((a, b)) = pair(
        task,
        &[&format!(r"(?i)\bfrom\s+(?P<a>.+?)\s+to\s+(?P<b>.+?){END}")],
    ) {
        return (a, b);
    }
    let re = Regex::new(&format!(r"(?i)\bto\s+(?P<b>.+?){END}")).expect("valid");
    let b = re
        .captures(task)
        .and_then(|c| c.name("b"))
        .map(|m| clip(m.as_str()))
        .unwrap_or_default();
    (
        "the current implementation".to_string(),
        if b.is_empty() {
            "the target".to_string()
        } else {
            b
        },
    )
}

pub(super) fn data_migration(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let (old0, new) = from_to(&g.task);
    let old = if old0 == "the current implementation" {
        format!("the current {} store", g.stem.replace('_', " "))
    } else {
        old0
    };
    let target_kind = new
        .split(|c: char| !c.is_alphanumeric())
        .find_map(crate::offline::planner::ground::known_service)
        .map(|k| k.1)
        .or_else(|| g.new_services.first().map(|n| n.kind))
        .unwrap_or("database");
    let kv = target_kind == "cache";
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let flag = format!("{}_read_from_new", snake(&g.stem));
    let dual = format!("{}_dual_write", snake(&g.stem));
    let mig_dir = g.first_existing(&[
        "migrations",
        "db/migrate",
        "alembic/versions",
        "prisma/migrations",
        "src/main/resources/db/migration",
        "migrate",
    ]);
    // 01 expand
    let mut e = DPhase::new(
        &format!("expand-{key}"),
        Role::Core,
        format!("Expand: add {new} beside {old}"),
        format!("Make {new} exist and be writable without removing or renaming anything the running version reads from {old}."),
        3,
    );
    if kv {
        e.step(format!("Define the key layout in {new}: key names with a prefix and a version, the serialisation format, and a TTL that matches today's expiry rules."));
        e.step(format!("Choose an eviction policy that never silently drops live records (`noeviction`, or a dedicated {new} instance) and size memory from the measured record count × record size."));
        match g.shape_module(&format!("{}_store", g.stem)) {
            Some((mp, parent)) => {
                e.step(format!("Write a {new}-backed store adapter in `{mp}` with the same interface as the current store; nothing calls it yet."));
                e.file(mp, FileAction::Create);
                if let Some(p) = parent {
                    e.file(p, FileAction::Modify);
                }
            }
            None => {
                e.step(format!("Write a {new}-backed store adapter beside the current store in {}, with the same interface; nothing calls it yet.", paths(&src_list[..1.min(src_list.len())])));
            }
        }
        e.criterion(format!("The adapter round-trips 1,000 records through {new} in the test suite with 0 differences, and the measured memory per record is recorded."));
        e.phase.rollback = format!(
            "Revert the adapter commit; nothing reads or writes {new} yet, so no user is affected."
        );
    } else {
        e.step(format!("Add the new structures in {new} (tables, columns, indexes) as additions only: nullable columns, defaults in code, indexes built online."));
        match &mig_dir {
            Some(dir) => e.step(format!("Write the change as a reversible migration in `{dir}/` with an up and a down step.")),
            None => e.step("Write the change as a reversible migration (up and down) with the project's migration tool.".to_string()),
        };
        e.step("Measure lock time on a production-sized copy before applying; any statement holding a table lock for more than 1 s is rewritten.".to_string());
        e.criterion("The up and down migrations both apply cleanly on a copy of production-shaped data; the longest table lock measured is under 1 s.".to_string());
        e.phase.rollback = format!(
            "Run the down migration; nothing reads {new} yet, so removing it affects no user."
        );
    }
    impl_gate(g, &mut e);
    let ek = e.key.clone();
    d.phases.push(e);

    // 02 dual-write
    let mut w = DPhase::new(
        &format!("dual-write-{key}"),
        Role::Core,
        format!("Dual-write to {old} and {new}"),
        format!("Every write lands in both stores while {old} stays the source of truth."),
        3,
    );
    w.step(format!(
        "Make every write path{} write {old} first and then {new}, behind the `{dual}` switch (on for writes; reads untouched).",
        if src_list.is_empty() { String::new() } else { format!(" in {}", paths(&src_list)) }
    ));
    w.step(format!("A failed write to {new} is logged and counted, never surfaced to the user: {old} remains authoritative."));
    for s in &src_list {
        w.file(s.clone(), FileAction::Modify);
    }
    w.step(format!("Test in {} that each write path writes both stores, and that an outage of {new} does not fail the request.", tests_label(g)));
    test_file(&mut w, g);
    w.criterion(format!(
        "{} exits 0; the dual-write mismatch counter stays at 0 across the test suite.",
        g.test_cmd()
    ));
    service_steps(g, &mut w);
    impl_gate(g, &mut w);
    w.phase.rollback = format!("Turn `{dual}` off: writes go to {old} only, as before; data already written to {new} is ignored.");
    w.depends(&ek);
    let wk = w.key.clone();
    d.phases.push(w);

    // 03 backfill
    let mut b = DPhase::new(
        &format!("backfill-{key}"),
        Role::Core,
        format!("Backfill existing data into {new}"),
        "Copy everything written before dual-write started, idempotently and resumably."
            .to_string(),
        3,
    );
    if kv {
        b.step(format!("Copy the existing records into {new} in batches, each with its remaining TTL; skip records that have already expired."));
        b.step("Make the copy idempotent (set only if absent, or compare a version) so a record written by dual-write meanwhile is not overwritten with older data.".to_string());
        b.step("If every record expires within the cutover's soak period, the backfill may be skipped: write down why, with the measured maximum lifetime.".to_string());
        b.criterion(format!("Unexpired record counts in {old} and {new} match within 0.1%, and a sample of 1,000 records compared field by field shows 0 differences."));
    } else {
        b.step("Copy in batches (for example 1,000 rows) ordered by primary key, recording the last key done so the job can resume after a crash.".to_string());
        b.step("Make the copy idempotent (upsert by key) so rows written by dual-write meanwhile are not duplicated or overwritten with older data.".to_string());
        b.step(
            "Throttle between batches and watch replica lag and error rates while it runs."
                .to_string(),
        );
        b.criterion(format!("Row counts in {old} and {new} are equal, and a sample of 1,000 records compared field by field shows 0 differences."));
        b.criterion("Replica lag stays under 5 s during the backfill.".to_string());
    }
    b.step(format!("Compare counts and checksums of a 1% sample between {old} and {new}, and save the comparison in evidence/."));
    impl_gate(g, &mut b);
    let old_cap = old
        .get(0..1)
        .map(|f| f.to_uppercase() + &old[1..])
        .unwrap_or_default();
    b.phase.rollback = format!("Stop the backfill job. {old_cap} is only read by the copy and stays authoritative through dual-write, so it needs no restore; restore {new} from the snapshot taken before the job (or delete the copied records) and re-run, then verify the counts again.");
    b.phase.steps.insert(0, format!("Snapshot {new} before the job starts, so the copy can be undone without touching {old}."));
    b.depends(&wk);
    let bk = b.key.clone();
    d.phases.push(b);

    // 04 cutover
    let mut c = DPhase::new(
        &format!("cutover-{key}"),
        Role::Core,
        format!("Cut reads over to {new}"),
        format!("Serve reads from {new} once dual-reads show it matches {old}."),
        3,
    );
    c.step(format!("Dual-read for a soak period: serve from {old}, read {new} too, compare and count differences."));
    c.step(format!("Flip `{flag}` on for reads once the difference rate is below 0.1% over 7 days; keep dual-writing."));
    for s in src_list.iter().take(2) {
        c.file(s.clone(), FileAction::Modify);
    }
    c.criterion(
        "Dual-read difference rate below 0.1% over 7 consecutive days before the flip.".to_string(),
    );
    c.criterion("p95 read latency after the flip within 10% of the phase-00 baseline.".to_string());
    impl_gate(g, &mut c);
    c.phase.rollback = format!("Flip `{flag}` off: reads return to {old}, which is still written by dual-write, so no data is lost.");
    c.depends(&bk);
    let ck = c.key.clone();
    d.phases.push(c);

    // 05 contract
    let mut t = DPhase::new(
        &format!("contract-{key}"),
        Role::Core,
        format!("Contract: retire {old}"),
        format!("Remove the old path once {new} has served all reads for a full release cycle."),
        2,
    );
    t.step(format!(
        "Take and verify a backup of {old} before anything is dropped."
    ));
    t.step(format!("Stop dual writes; remove the code paths that read or write {old}, and the `{dual}` and `{flag}` switches."));
    t.step(format!(
        "Drop the old data in {old} in a separate, later deploy, after sign-off."
    ));
    for s in src_list.iter().take(2) {
        t.file(s.clone(), FileAction::Modify);
    }
    t.criterion(format!("0 reads or writes reach {old} for 7 days (query or connection metrics) before anything is dropped."));
    impl_gate(g, &mut t);
    t.phase.rollback = format!("Restore {old} from the backup taken at the start of this phase and turn dual-write back on; this is the only phase whose rollback needs a restore.");
    t.depends(&ck);
    d.phases.push(t);

    d.out(format!(
        "Changing the data model while moving it: {new} mirrors what {old} holds today."
    ));
    d.out("Performance tuning of the new store beyond the phase-00 latency baseline.");
    d.rule(format!("Never remove or rename anything the running version reads from {old} before the contract phase."));
    d.rule(format!("Breaking change: dropping the old data in {old} is irreversible without the backup; it needs an explicit sign-off."));
}

pub(super) fn platform_migration(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let (old, new) = from_to(&g.task);
    let manifests: Vec<String> = g
        .others
        .iter()
        .chain(g.sources.iter())
        .filter(|p| is_manifest(p))
        .cloned()
        .collect();
    // A deprecation changes the project's own API, not the version it builds with: only a
    // manifest the probe ranked relevant is touched then.
    let deprecation = g.focus.verb == Some("deprecate");
    let manifest = manifests.first().cloned().or_else(|| {
        if deprecation {
            return None;
        }
        g.first_existing(&[
            "Cargo.toml",
            "pyproject.toml",
            "package.json",
            "go.mod",
            "pom.xml",
            "build.gradle",
            "Gemfile",
            "requirements.txt",
            "setup.py",
        ])
    });
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    // 01 inventory
    let mut i = DPhase::new(
        &format!("inventory-{key}"),
        Role::Core,
        format!("Inventory what moving to {new} breaks"),
        format!("Know every incompatibility between {old} and {new} that the code hits, before changing anything."),
        2,
    );
    i.step(format!(
        "Read the release notes and migration guide of {new}; list every removed or changed API."
    ));
    i.step(
        "Search the code for each of them and record file and line of every use in evidence/."
            .to_string(),
    );
    i.step(format!(
        "Try {new} on a throwaway branch and record every build and test failure."
    ));
    i.criterion("The inventory lists every build and test failure seen on the throwaway branch, with a count per category.".to_string());
    i.gate("check: the inventory lists 100% of the build and test failures seen on the throwaway branch".to_string());
    i.phase.rollback = "Delete the throwaway branch; nothing is merged in this phase.".to_string();
    let ik = i.key.clone();
    d.phases.push(i);

    // 02 compat
    let mut c = DPhase::new(
        &format!("compat-{key}"),
        Role::Core,
        format!("Make the code work on both {old} and {new}"),
        "Fix every incompatibility in a way that still works on the current version, so the switch itself is a one-line change.".to_string(),
        4,
    );
    for s in &src_list {
        c.step(format!("Update `{s}` to APIs available in both versions."));
        c.file(s.clone(), FileAction::Modify);
    }
    c.step("Where no common API exists, add a small compatibility shim in one place and mark it for removal.".to_string());
    c.step(format!(
        "Cover each incompatibility with a test in {} that passes on both versions.",
        tests_label(g)
    ));
    test_file(&mut c, g);
    if !g.ci.is_empty() {
        c.step(format!(
            "Run CI on both versions (a matrix entry in `{}`) until the switch.",
            g.ci[0]
        ));
        c.file(g.ci[0].clone(), FileAction::Modify);
    }
    c.criterion(format!(
        "{} exits 0 on the current version and on {new} (both CI jobs green).",
        g.test_cmd()
    ));
    impl_gate(g, &mut c);
    c.phase.rollback =
        "Revert the compatibility commits; they are behaviour-neutral on the current version."
            .to_string();
    c.depends(&ik);
    let ck = c.key.clone();
    d.phases.push(c);

    // 03 switch
    let mut s = DPhase::new(
        &format!("switch-{key}"),
        Role::Core,
        format!("Switch to {new}"),
        format!("Make {new} the version the project builds and ships with."),
        2,
    );
    match &manifest {
        Some(m) => {
            s.step(format!("Change the version in `{m}` and regenerate the lock file with the project's package manager."));
            s.file(m.clone(), FileAction::Modify);
        }
        None => {
            s.step(
                "Change the version where the project pins it and regenerate the lock file."
                    .to_string(),
            );
        }
    }
    s.step("Update the CI image or toolchain pin to the new version.".to_string());
    if g.deployable.is_some() {
        s.step(
            "Roll the new version out in stages: CI and one canary environment first, then everywhere."
                .to_string(),
        );
    }
    s.criterion(format!(
        "{} and {} exit 0 on {new}; the test count equals the phase-00 baseline.",
        g.build_cmd(),
        g.test_cmd()
    ));
    impl_gate(g, &mut s);
    s.phase.rollback = format!(
        "Revert the version bump commit: the code still works on {old} thanks to the compatibility phase."
    );
    s.depends(&ck);
    let sk = s.key.clone();
    d.phases.push(s);

    // 04 cleanup
    let mut r = DPhase::new(
        &format!("remove-compat-{key}"),
        Role::Core,
        format!("Remove code kept only for {old}"),
        "Delete the compatibility shims and the old-version CI job once the new version has shipped.".to_string(),
        1,
    );
    r.step("Delete every shim marked for removal and the old-version CI matrix entry.".to_string());
    r.criterion("A search for the removal marker returns 0 hits.".to_string());
    impl_gate(g, &mut r);
    r.phase.rollback = "Revert the cleanup commit; the shims come back unused.".to_string();
    r.depends(&sk);
    d.phases.push(r);

    d.out(format!(
        "Adopting new features of {new} beyond what the switch needs."
    ));
    d.out("Upgrading other dependencies that are not required by the switch.");
    d.rule("Each phase leaves the project releasable on the version it ships with.");
}

pub(super) fn is_manifest(p: &str) -> bool {
    let f = p.rsplit('/').next().unwrap_or(p);
    matches!(
        f,
        "Cargo.toml"
            | "pyproject.toml"
            | "package.json"
            | "go.mod"
            | "pom.xml"
            | "build.gradle"
            | "build.gradle.kts"
            | "Gemfile"
            | "requirements.txt"
            | "setup.py"
            | "composer.json"
    )
}

pub(super) fn replacement(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let (old, new) = pair(
        &g.task,
        &[
            &format!(r"(?i)\breplac(?:e|es|ing)\s+(?P<a>.+?)\s+(?:with|by)\s+(?P<b>.+?){END}"),
            &format!(r"(?i)\bswap\s+(?:out\s+)?(?P<a>.+?)\s+for\s+(?P<b>.+?){END}"),
            &format!(r"(?i)\b(?:use|adopt)\s+(?P<b>.+?)\s+instead of\s+(?P<a>.+?){END}"),
            &format!(r"(?i)\bswitch\s+from\s+(?P<a>.+?)\s+to\s+(?P<b>.+?){END}"),
        ],
    )
    .unwrap_or_else(|| {
        (
            "the current implementation".into(),
            "the replacement".into(),
        )
    });
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let switch = format!("use_{}", snake(&new));
    // 01 seam
    let mut s = DPhase::new(
        &format!("seam-{key}"),
        Role::Core,
        format!("Put a seam around {old}"),
        format!(
            "Route every use of {old} through one interface so it can be swapped in one place."
        ),
        3,
    );
    s.step(format!(
        "List every use of {old}{} with file and line.",
        if src_list.is_empty() {
            String::new()
        } else {
            format!(" (start with {})", paths(&src_list))
        }
    ));
    s.step(format!("Define an interface covering exactly the operations those uses need, and an adapter that implements it with {old}."));
    if let Some((mp, parent)) = g.shape_module(&format!("{}_port", g.stem)) {
        s.file(mp, FileAction::Create);
        if let Some(p) = parent {
            s.file(p, FileAction::Modify);
        }
    }
    for f in &src_list {
        s.step(format!(
            "Make `{f}` call the interface instead of {old} directly."
        ));
        s.file(f.clone(), FileAction::Modify);
    }
    s.criterion(format!("{} exits 0 with behaviour unchanged; a search shows 0 direct uses of {old} outside the adapter.", g.test_cmd()));
    impl_gate(g, &mut s);
    s.phase.rollback =
        "Revert the seam commits; callers return to using the old API directly.".to_string();
    let sk = s.key.clone();
    d.phases.push(s);

    // 02 implement new
    let mut n = DPhase::new(
        &format!("implement-{}", kebab(&new)),
        Role::Core,
        format!("Implement {new} behind the seam"),
        format!("Provide a second adapter backed by {new}, selected by the `{switch}` switch (default off)."),
        3,
    );
    n.step(format!(
        "Add {new} as a dependency, pinned to an exact version."
    ));
    n.step(format!("Write the {new} adapter for the interface; do not widen the interface for {new}-only features."));
    if let Some((mp, parent)) = g.shape_module(&format!("{}_adapter", snake(&new))) {
        n.file(mp, FileAction::Create);
        if let Some(p) = parent {
            n.file(p, FileAction::Modify);
        }
    }
    n.criterion(format!(
        "Unit tests of the {new} adapter pass; {} exits 0 with `{switch}` off and on.",
        g.test_cmd()
    ));
    impl_gate(g, &mut n);
    n.phase.rollback = format!("Revert the adapter commit and remove {new} from the manifest; `{switch}` is off, so no user is affected.");
    n.depends(&sk);
    let nk = n.key.clone();
    d.phases.push(n);

    // 03 parity
    let mut p = DPhase::new(
        &format!("parity-{key}"),
        Role::Core,
        format!("Prove parity between {old} and {new}"),
        "Run the same contract tests against both adapters and compare them on real inputs."
            .to_string(),
        2,
    );
    p.step(
        "Write contract tests against the interface and run them against both adapters."
            .to_string(),
    );
    p.step(format!("Run {new} in shadow mode on real inputs, comparing its results with {old} and logging differences."));
    test_file(&mut p, g);
    p.criterion("Both adapters pass 100% of the contract tests.".to_string());
    p.criterion("Shadow comparison shows less than 0.1% differing results over at least 1,000 real calls; every difference is explained.".to_string());
    impl_gate(g, &mut p);
    p.phase.rollback =
        "Turn shadow mode off; the contract tests stay as documentation of the interface."
            .to_string();
    p.depends(&nk);
    let pk = p.key.clone();
    d.phases.push(p);

    // 04 switch
    let mut w = DPhase::new(
        &format!("switch-to-{}", kebab(&new)),
        Role::Core,
        format!("Switch to {new}"),
        format!("Make {new} the default while {old} stays available for one release."),
        1,
    );
    w.step(format!(
        "Turn `{switch}` on by default; keep {old} selectable for one release."
    ));
    w.criterion("Error rate and p95 latency of the affected operations stay within 5% of the phase-00 baseline for 7 days after the switch.".to_string());
    impl_gate(g, &mut w);
    w.phase.rollback = format!("Turn `{switch}` off: every call goes back to {old} at once.");
    w.depends(&pk);
    let wk = w.key.clone();
    d.phases.push(w);

    // 05 remove old
    let mut r = DPhase::new(
        &format!("remove-{}", kebab(&old)),
        Role::Core,
        format!("Remove {old}"),
        format!("Delete the {old} adapter, the switch and the dependency."),
        1,
    );
    r.step(format!("Delete the {old} adapter and the `{switch}` switch; remove {old} from the manifest and the lock file."));
    r.criterion(format!(
        "A search for {old} returns 0 hits in the code and the manifest; {} exits 0.",
        g.test_cmd()
    ));
    impl_gate(g, &mut r);
    r.phase.rollback =
        format!("Revert the removal commit: the {old} adapter and the switch come back.");
    r.depends(&wk);
    d.phases.push(r);

    d.out(format!("New features of {new} beyond parity with {old}."));
    d.out("Replacing other uses of similar libraries that the task does not name.");
    d.rule(format!(
        "Until the switch phase, {old} stays the default and the switch defaults to off."
    ));
}
