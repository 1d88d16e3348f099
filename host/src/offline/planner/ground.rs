//! The facts a plan is grounded in, derived deterministically from the task and the probe
//! report: the commands to gate on, the files to change, the services and environment
//! variables the task touches, services the task names that the probe did not find, the
//! security-sensitive aspects, the matching topics and the repository's file conventions.
//! Shared by Metis (directives) and the planner (plans) so both say the same thing.
use super::focus::Focus;
use super::paths::{ext_of, is_code_path, is_test_path, parent_of, Lang};
use super::testsite::is_bench_path;
use super::topics::{self, Topic};
use crate::model::resolution::Resolution;
use crate::model::Context;
use crate::model::{DetectedCommand, DetectedService, ProbeReport, TaskKind};
use crate::offline::surface;
use crate::text;
use crate::text::prose_list;
use std::path::{Path, PathBuf};

/// A service of the probe report the task touches, with the relevant files that touch it and
/// the environment variables that configure it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUse {
    /// Service name as the probe reports it.
    pub name: String,
    /// `database`, `cache`, `queue`, `search`, `object-store` or `other`.
    pub kind: String,
    /// File the probe found it in.
    pub source: String,
    /// Relevant files (from the probe) whose path ties them to this service.
    pub files: Vec<String>,
    /// Probe environment variables that configure this service.
    pub env: Vec<String>,
    /// Why the task touches it.
    pub why: String,
}

/// Words of an environment variable's name that say it tells the code where a service is.
const CONNECTION_ENV_WORDS: &[&str] = &[
    "url", "uri", "dsn", "host", "hosts", "port", "addr", "address", "servers", "brokers",
    "endpoint", "socket", "bucket", "table", "cluster",
];

impl ServiceUse {
    /// The variables of [`ServiceUse::env`] through which the code reaches the service: those
    /// whose name says where it is (`REDIS_URL`, `DB_HOST`, `KAFKA_BROKERS`, `S3_BUCKET`), not
    /// those that merely tune it (`PROFILE_CACHE_TTL_SECONDS`). May be empty.
    pub fn connection_env(&self) -> Vec<&str> {
        self.env
            .iter()
            .filter(|v| {
                env_words(v)
                    .iter()
                    .any(|w| CONNECTION_ENV_WORDS.contains(&w.as_str()))
            })
            .map(String::as_str)
            .collect()
    }
}

/// A service the task names that the probe did not find: the plan must provision it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewService {
    /// Canonical service name (`redis`).
    pub name: &'static str,
    /// Service kind (`cache`).
    pub kind: &'static str,
    /// The conventional variable that will configure it (e.g. `REDIS_URL`).
    pub env: &'static str,
}

/// A well-known service: canonical name, aliases, kind, conventional env var.
struct Known {
    name: &'static str,
    aliases: &'static [&'static str],
    kind: &'static str,
    env: &'static str,
}

const KNOWN: &[Known] = &[
    Known {
        name: "redis",
        aliases: &["redis"],
        kind: "cache",
        env: "REDIS_URL",
    },
    Known {
        name: "postgresql",
        aliases: &["postgresql", "postgres", "psql"],
        kind: "database",
        env: "DATABASE_URL",
    },
    Known {
        name: "mysql",
        aliases: &["mysql", "mariadb"],
        kind: "database",
        env: "DATABASE_URL",
    },
    Known {
        name: "mongodb",
        aliases: &["mongodb", "mongo"],
        kind: "database",
        env: "MONGODB_URI",
    },
    Known {
        name: "sqlite",
        aliases: &["sqlite", "sqlite3"],
        kind: "database",
        env: "DATABASE_URL",
    },
    Known {
        name: "kafka",
        aliases: &["kafka"],
        kind: "queue",
        env: "KAFKA_BROKERS",
    },
    Known {
        name: "rabbitmq",
        aliases: &["rabbitmq", "rabbit", "amqp"],
        kind: "queue",
        env: "AMQP_URL",
    },
    Known {
        name: "nats",
        aliases: &["nats"],
        kind: "queue",
        env: "NATS_URL",
    },
    Known {
        name: "sqs",
        aliases: &["sqs"],
        kind: "queue",
        env: "SQS_QUEUE_URL",
    },
    Known {
        name: "elasticsearch",
        aliases: &["elasticsearch", "elastic"],
        kind: "search",
        env: "ELASTICSEARCH_URL",
    },
    Known {
        name: "opensearch",
        aliases: &["opensearch"],
        kind: "search",
        env: "OPENSEARCH_URL",
    },
    Known {
        name: "meilisearch",
        aliases: &["meilisearch"],
        kind: "search",
        env: "MEILI_URL",
    },
    Known {
        name: "memcached",
        aliases: &["memcached", "memcache"],
        kind: "cache",
        env: "MEMCACHED_SERVERS",
    },
    Known {
        name: "s3",
        aliases: &["s3"],
        kind: "object-store",
        env: "S3_BUCKET",
    },
    Known {
        name: "minio",
        aliases: &["minio"],
        kind: "object-store",
        env: "S3_ENDPOINT",
    },
    Known {
        name: "dynamodb",
        aliases: &["dynamodb", "dynamo"],
        kind: "database",
        env: "DYNAMODB_TABLE",
    },
    Known {
        name: "clickhouse",
        aliases: &["clickhouse"],
        kind: "database",
        env: "CLICKHOUSE_URL",
    },
];

/// Task words that point at a service kind.
fn kind_task_words(kind: &str) -> &'static [&'static str] {
    match kind {
        "database" => &[
            "database",
            "databases",
            "sql",
            "table",
            "tables",
            "schema",
            "column",
            "columns",
            "query",
            "queries",
            "orm",
            "rows",
            "records",
            "persist",
            "persistence",
            "transaction",
            "transactions",
        ],
        "cache" => &["cache", "caching", "cached", "session", "sessions"],
        "queue" => &[
            "queue", "queues", "job", "jobs", "worker", "workers", "message", "messages",
            "consumer", "producer", "pubsub", "publish", "events", "event",
        ],
        "search" => &["search", "index", "indexing", "fulltext"],
        "object-store" => &[
            "upload",
            "uploads",
            "bucket",
            "attachment",
            "attachments",
            "blob",
            "blobs",
            "storage",
        ],
        _ => &[],
    }
}

/// Path segments that tie a file to a service kind.
fn kind_path_words(kind: &str) -> &'static [&'static str] {
    match kind {
        "database" => &[
            "db",
            "database",
            "models",
            "model",
            "repository",
            "repositories",
            "repo",
            "dao",
            "sql",
            "migrations",
            "migration",
            "schema",
            "persistence",
            "orm",
            "entities",
            "entity",
            "store",
            "queries",
        ],
        "cache" => &["cache", "caching", "redis", "session", "sessions"],
        "queue" => &[
            "queue",
            "queues",
            "jobs",
            "job",
            "worker",
            "workers",
            "tasks",
            "consumers",
            "consumer",
            "events",
            "broker",
        ],
        "search" => &["search", "index", "indexer"],
        "object-store" => &[
            "storage", "upload", "uploads", "s3", "blob", "blobs", "files",
        ],
        _ => &[],
    }
}

/// Env-var words that tie a variable to a service kind.
fn kind_env_words(kind: &str) -> &'static [&'static str] {
    match kind {
        "database" => &[
            "database",
            "db",
            "postgres",
            "postgresql",
            "pg",
            "mysql",
            "mongo",
            "mongodb",
            "sql",
            "sqlite",
        ],
        "cache" => &["redis", "cache", "memcached", "session"],
        "queue" => &[
            "amqp", "rabbit", "rabbitmq", "kafka", "nats", "queue", "broker", "sqs", "celery",
        ],
        "search" => &["elastic", "elasticsearch", "search", "opensearch", "meili"],
        "object-store" => &["s3", "bucket", "aws", "storage", "minio"],
        _ => &[],
    }
}

/// Words that rank an env var as security-relevant.
const SECRET_ENV_WORDS: &[&str] = &[
    "secret", "key", "jwt", "token", "session", "password", "oidc", "oauth", "client", "issuer",
    "auth", "salt", "signing",
];

/// Verbs stripped from the front of a task to get its subject.
const LEADING_VERBS: &[&str] = &[
    "add",
    "implement",
    "support",
    "fix",
    "create",
    "build",
    "make",
    "migrate",
    "move",
    "replace",
    "refactor",
    "rewrite",
    "improve",
    "investigate",
    "evaluate",
    "compare",
    "research",
    "introduce",
    "enable",
    "allow",
    "expose",
    "harden",
    "optimize",
    "optimise",
    "speed",
    "reduce",
    "upgrade",
    "port",
    "extract",
    "unify",
    "restructure",
    "clean",
    "swap",
    "switch",
    "patch",
    "secure",
    "design",
    "write",
    "scaffold",
    "bootstrap",
    "explore",
    "assess",
    "consolidate",
    "simplify",
    "decouple",
    "please",
    "use",
];

/// Everything the planner and Metis know about the task and the repository.
#[derive(Clone, Debug)]
pub struct Grounding {
    /// The task, trimmed.
    pub task: String,
    /// Task kind from the Intent Gate.
    pub kind: TaskKind,
    /// Meaningful task terms (`text::terms`).
    pub terms: Vec<String>,
    /// Repository name from the probe.
    pub repository: String,
    /// First detected `build` command.
    pub build: Option<DetectedCommand>,
    /// First detected `test` command.
    pub test: Option<DetectedCommand>,
    /// First detected `lint` command.
    pub lint: Option<DetectedCommand>,
    /// Every command the probe detected, verbatim (the only commands a gate may hold).
    pub commands: Vec<String>,
    /// Language of the code the plan touches.
    pub lang: Lang,
    /// Languages of the probe report, largest first, `"Rust (42 files)"`.
    pub languages: Vec<String>,
    /// Frameworks the probe found.
    pub frameworks: Vec<String>,
    /// CI configuration files the probe found.
    pub ci: Vec<String>,
    /// Relevant source files (existing; probe ranking order), at most 5.
    pub sources: Vec<String>,
    /// Relevant existing test files, at most 3.
    pub tests: Vec<String>,
    /// Relevant config or docs files, at most 3.
    pub others: Vec<String>,
    /// Probe reason of each relevant file.
    pub reasons: Vec<(String, String)>,
    /// Probe services the task touches.
    pub services: Vec<ServiceUse>,
    /// Probe services the task does not touch.
    pub untouched: Vec<DetectedService>,
    /// Services the task names that the probe did not find: provisioned by the plan.
    pub new_services: Vec<NewService>,
    /// Services the task names as the source of a move ("from MySQL") that the probe did not
    /// find: declared as existing (never provisioned), with a note to confirm where they run.
    pub source_services: Vec<NewService>,
    /// Probe env vars relevant to the task (service- or term-linked).
    pub env_vars: Vec<String>,
    /// Every env var the probe found.
    pub all_env_vars: Vec<String>,
    /// Security-sensitive aspects found in the task or the relevant files.
    pub sensitive: Vec<&'static str>,
    /// Engineering topics the task matches.
    pub topics: Vec<&'static Topic>,
    /// Task without its leading verb, e.g. "rate limiting to the login endpoint".
    pub subject: String,
    /// snake_case stem for new file names, e.g. `rate_limit`.
    pub stem: String,
    /// Numbers with units named in the task (`"2 seconds"`, `"500ms"`, `"20%"`).
    pub targets: Vec<String>,
    /// Repository root (read only, to check which paths exist).
    pub repo_root: PathBuf,
    /// Minimalist shaping (set by the minimalist lens before the base plan is written): at
    /// most two modified files, no new module beside existing code, one new test file.
    pub minimal: bool,
    /// What the plan changes: files, symbols, files to create, tests to extend (from the code
    /// index's resolution when there is one; then `sources` and `tests` are its files).
    pub focus: Focus,
    /// Why the repository is a deployable service, or `None` for a library, a command-line
    /// tool or a script ([`crate::offline::checks::fit::deployable`], the rule the reviewers
    /// apply): only a deployable repository gets rollout, canary, feature-flag or production
    /// metrics work.
    pub deployable: Option<String>,
    /// Detected commands that fail on the untouched repository (the baseline record, when the
    /// run has one): never a gate of the plan; phase 00 says why ([`Grounding::with_baseline`]).
    pub broken: Vec<BrokenCommand>,
}

/// A detected command that failed on the untouched repository.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokenCommand {
    pub command: DetectedCommand,
    /// What the baseline saw (exit status, the failing line).
    pub detail: String,
    /// Run-relative evidence log, when the baseline ran in this run.
    pub evidence: Option<String>,
}

impl Grounding {
    /// Derives the grounding from the offline context (task, task kind, probe, repository root,
    /// the code index's resolution). Never fails: an empty probe gives empty lists and
    /// `Lang::Other`.
    pub fn new(ctx: &Context<'_>) -> Grounding {
        Grounding::from_parts(ctx.task, ctx.task_kind, ctx.probe, ctx.repo_root)
            .with_resolution(ctx.resolution)
            .with_baseline(ctx.baseline, ctx.probe)
    }

    /// The grounding judged against the baseline (docs/design.md §6, "a baseline, not a
    /// blocker"): a build, test or lint command that failed on the untouched repository is no
    /// gate — the next declared command of the same purpose that did not fail takes its place,
    /// or none — and goes to [`Grounding::broken`] so phase 00 says so. A command that passed
    /// with pre-existing test failures recorded is not broken. Without a baseline (it has not
    /// finished, or the run has none) nothing changes.
    pub fn with_baseline(
        mut self,
        baseline: Option<&crate::model::baseline::Baseline>,
        probe: &ProbeReport,
    ) -> Grounding {
        let Some(b) = baseline else {
            return self;
        };
        let failed = |c: &str| b.run_of(c).filter(|r| !r.passed);
        for (purpose, slot) in [
            ("build", &mut self.build),
            ("test", &mut self.test),
            ("lint", &mut self.lint),
        ] {
            let Some(current) = slot.clone() else {
                continue;
            };
            let Some(run) = failed(&current.command) else {
                continue;
            };
            self.broken.push(BrokenCommand {
                command: current.clone(),
                detail: run.detail.clone(),
                evidence: run.evidence.clone(),
            });
            *slot = probe
                .commands
                .iter()
                .find(|c| {
                    c.purpose == purpose
                        && c.command != current.command
                        && failed(&c.command).is_none()
                })
                .cloned();
        }
        self
    }

    /// The grounding planned from the code index's resolution of the task (docs/design.md
    /// §10): the files to modify, the tests and the language come from [`Focus::from_resolution`]
    /// instead of the probe's word counts. An empty resolution changes nothing.
    pub fn with_resolution(mut self, res: &Resolution) -> Grounding {
        if res.is_empty() {
            return self;
        }
        let focus = Focus::from_resolution(&self.task, res, &self.repo_root);
        self.sources = focus.files.clone();
        self.tests = focus
            .tests
            .iter()
            .filter(|t| t.module.is_none())
            .map(|t| t.path.clone())
            .collect();
        for (p, why) in &focus.reasons {
            self.reasons.retain(|(q, _)| q != p);
            self.reasons.insert(0, (p.clone(), why.clone()));
        }
        if let Some(lang) = self
            .sources
            .iter()
            .find_map(|p| ext_of(p).and_then(Lang::from_ext))
        {
            self.lang = lang;
        }
        self.focus = focus;
        self
    }

    /// Same as [`Grounding::new`] from the parts of a context.
    pub fn from_parts(
        task: &str,
        kind: TaskKind,
        probe: &ProbeReport,
        repo_root: &Path,
    ) -> Grounding {
        let terms = text::terms(task);
        let lower = task.to_lowercase();
        let first = |purpose: &str| {
            probe
                .commands
                .iter()
                .find(|c| c.purpose == purpose)
                .cloned()
        };
        let (sources, tests, others, reasons) = rank_files(probe);
        let lang = sources
            .iter()
            .chain(tests.iter())
            .find_map(|p| ext_of(p).and_then(Lang::from_ext))
            .or_else(|| {
                probe
                    .languages
                    .iter()
                    .find_map(|l| Lang::from_name(&l.name))
            })
            .or_else(|| terms.iter().find_map(|t| Lang::from_name(t)))
            .unwrap_or(Lang::Other);
        let mut langs: Vec<&crate::model::LanguageStat> = probe.languages.iter().collect();
        langs.sort_by(|a, b| b.files.cmp(&a.files).then_with(|| a.name.cmp(&b.name)));
        let languages = langs
            .iter()
            .map(|l| {
                format!(
                    "{} ({} file{})",
                    l.name,
                    l.files,
                    if l.files == 1 { "" } else { "s" }
                )
            })
            .collect();
        let topics = topics::matching(task);

        let (services, untouched) = touched_services(probe, &terms, &topics, &sources, &others);

        let (new_services, source_services) = named_services(probe, &terms, &lower);

        let sensitive = sensitive_aspects(task, kind, &topics, &sources, &others);

        let env_vars = relevant_env_vars(probe, &terms, &services, &untouched, &sensitive);

        let subject = subject_of(task);
        let stem = topics
            .iter()
            .find(|t| t.module)
            .or(topics.first())
            .map(|t| t.name.to_string())
            .unwrap_or_else(|| stem_of(&subject));
        let focus = Focus::from_probe(task, &sources, &reasons, &tests, repo_root);
        Grounding {
            focus,
            task: task.trim().to_string(),
            kind,
            terms,
            repository: probe.repository.clone(),
            build: first("build"),
            test: first("test"),
            lint: first("lint"),
            commands: probe.commands.iter().map(|c| c.command.clone()).collect(),
            lang,
            languages,
            frameworks: probe.frameworks.clone(),
            ci: probe.ci.clone(),
            sources,
            tests,
            others,
            reasons,
            services,
            untouched,
            new_services,
            source_services,
            env_vars,
            all_env_vars: probe.env_vars.clone(),
            sensitive,
            topics,
            subject,
            stem,
            targets: targets_of(&lower),
            repo_root: repo_root.to_path_buf(),
            minimal: false,
            deployable: crate::offline::checks::fit::deployable(probe, repo_root),
            broken: Vec::new(),
        }
    }

    /// Keeps the first `n` files to modify (and only the symbols in them): the minimalist lens
    /// changes as few files as it can.
    pub fn narrow(&mut self, n: usize) {
        self.sources.truncate(n);
        self.focus.files.truncate(n);
        let keep = self.focus.files.clone();
        self.focus.reasons.retain(|(p, _)| keep.contains(p));
        self.focus.changes.retain(|c| keep.contains(&c.symbol.path));
    }

    /// Whether `rel` (repository-relative) exists in the repository.
    pub fn exists(&self, rel: &str) -> bool {
        !rel.is_empty() && self.repo_root.join(rel).exists()
    }

    /// Whether `rel` is a directory in the repository.
    pub fn is_dir(&self, rel: &str) -> bool {
        self.repo_root.join(rel).is_dir()
    }

    /// The first of `candidates` that exists in the repository.
    pub fn first_existing(&self, candidates: &[&str]) -> Option<String> {
        candidates
            .iter()
            .find(|c| self.exists(c))
            .map(|c| c.to_string())
    }

    /// The commands a phase gates on: the test command, else the build command (as the probe
    /// detected them). Empty when the probe found neither.
    pub fn impl_gate(&self) -> Vec<String> {
        if let Some(t) = &self.test {
            let mut g = vec![t.command.clone()];
            if let Some(l) = &self.lint {
                g.push(l.command.clone());
            }
            g
        } else if let Some(b) = &self.build {
            vec![b.command.clone()]
        } else {
            Vec::new()
        }
    }

    /// `` `cargo test` `` or "the test suite" when the probe found no test command.
    pub fn test_cmd(&self) -> String {
        self.test
            .as_ref()
            .map(|t| format!("`{}`", t.command))
            .unwrap_or_else(|| "the test suite".to_string())
    }

    /// `` `make build` `` or "the build" when the probe found no build command.
    pub fn build_cmd(&self) -> String {
        self.build
            .as_ref()
            .map(|t| format!("`{}`", t.command))
            .unwrap_or_else(|| "the build".to_string())
    }

    /// Whether any detected command can be run by Hephaestus.
    pub fn has_runnable(&self) -> bool {
        self.build.is_some() || self.test.is_some()
    }

    /// The task touches something security-sensitive.
    pub fn is_sensitive(&self) -> bool {
        !self.sensitive.is_empty()
    }

    /// Sources joined for prose: "`a`, `b` and `c`" (or `fallback` when none).
    pub fn sources_prose(&self, max: usize, fallback: &str) -> String {
        prose_list(
            &self
                .sources
                .iter()
                .take(max)
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>(),
            fallback,
        )
    }

    /// The probe's reason for a relevant file.
    pub fn reason_of(&self, path: &str) -> Option<&str> {
        self.reasons
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.as_str())
    }

    /// Directory of the first relevant source file (`"app"` for `app/auth.py`), or "".
    pub fn source_dir(&self) -> String {
        self.sources
            .iter()
            .find(|p| ext_of(p).and_then(Lang::from_ext) == Some(self.lang))
            .or(self.sources.first())
            .map(|p| parent_of(p))
            .unwrap_or_default()
    }

    /// Repository-relative path of a new test file for `stem`, following the language's
    /// convention and the repository's existing test layout; `None` when the language has no
    /// known convention. The path never exists yet (a numeric suffix is added if needed).
    pub fn new_test_path(&self, stem: &str) -> Option<String> {
        let stem = snake(stem);
        let existing_tests_dir = self
            .tests
            .iter()
            .find_map(|t| {
                let segs: Vec<&str> = t.split('/').collect();
                segs.iter()
                    .position(|s| matches!(*s, "tests" | "test" | "spec" | "__tests__"))
                    .map(|i| segs[..=i].join("/"))
            })
            .or_else(|| {
                ["tests", "test", "spec"]
                    .iter()
                    .find(|d| self.is_dir(d))
                    .map(|d| d.to_string())
            });
        let dir = self.source_dir();
        let path = match self.lang {
            Lang::Python => format!(
                "{}/test_{stem}.py",
                existing_tests_dir.unwrap_or_else(|| "tests".into())
            ),
            Lang::Rust => {
                let krate = rust_crate_dir(&dir);
                format!("{}tests/{stem}.rs", krate)
            }
            Lang::Go => format!("{}{stem}_test.go", with_slash(&dir)),
            Lang::TypeScript | Lang::JavaScript => {
                let ext = if self.lang == Lang::TypeScript {
                    "ts"
                } else {
                    "js"
                };
                match existing_tests_dir {
                    Some(d) => format!("{d}/{}.test.{ext}", kebab(&stem)),
                    None => format!("{}{}.test.{ext}", with_slash(&dir), kebab(&stem)),
                }
            }
            Lang::Java | Lang::Kotlin => {
                let ext = if self.lang == Lang::Java {
                    "java"
                } else {
                    "kt"
                };
                let test_dir = if dir.contains("src/main/") {
                    dir.replacen("src/main/", "src/test/", 1)
                } else {
                    "src/test".to_string()
                };
                format!("{}/{}Test.{ext}", test_dir, pascal(&stem))
            }
            Lang::Ruby => {
                if existing_tests_dir.as_deref() == Some("spec") || self.is_dir("spec") {
                    format!("spec/{stem}_spec.rb")
                } else {
                    format!("test/{stem}_test.rb")
                }
            }
            Lang::CSharp => format!("tests/{}Tests.cs", pascal(&stem)),
            Lang::Php => format!("tests/{}Test.php", pascal(&stem)),
            Lang::Other => return None,
        };
        Some(self.fresh(&path))
    }

    /// Repository-relative path of a new module for `stem` beside the first relevant source
    /// file (or at the language's conventional source root), plus the existing parent file
    /// that must declare it (Rust `mod` declarations). `None` for unknown languages.
    pub fn new_module_path(&self, stem: &str) -> Option<(String, Option<String>)> {
        let stem = snake(stem);
        let dir = self.source_dir();
        let d = with_slash(&dir);
        let path = match self.lang {
            Lang::Rust => format!(
                "{}{stem}.rs",
                if d.is_empty() {
                    "src/".to_string()
                } else {
                    d.clone()
                }
            ),
            Lang::Python => format!("{d}{stem}.py"),
            Lang::Go => format!("{d}{stem}.go"),
            Lang::TypeScript => format!(
                "{}{}.ts",
                if d.is_empty() {
                    "src/".to_string()
                } else {
                    d.clone()
                },
                kebab(&stem)
            ),
            Lang::JavaScript => format!(
                "{}{}.js",
                if d.is_empty() {
                    "src/".to_string()
                } else {
                    d.clone()
                },
                kebab(&stem)
            ),
            Lang::Java => format!(
                "{}{}.java",
                if d.is_empty() {
                    "src/main/java/".to_string()
                } else {
                    d.clone()
                },
                pascal(&stem)
            ),
            Lang::Kotlin => format!(
                "{}{}.kt",
                if d.is_empty() {
                    "src/main/kotlin/".to_string()
                } else {
                    d.clone()
                },
                pascal(&stem)
            ),
            Lang::Ruby => format!(
                "{}{stem}.rb",
                if d.is_empty() {
                    "lib/".to_string()
                } else {
                    d.clone()
                }
            ),
            Lang::CSharp => format!("{d}{}.cs", pascal(&stem)),
            Lang::Php => format!(
                "{}{}.php",
                if d.is_empty() {
                    "src/".to_string()
                } else {
                    d.clone()
                },
                pascal(&stem)
            ),
            Lang::Other => return None,
        };
        let path = self.fresh(&path);
        let parent = self.rust_parent(&path);
        Some((path, parent))
    }

    /// The new module of the plan: the code file the task names to create
    /// ([`Focus::create`]), else [`Grounding::new_module_path`] for `stem`; with the existing
    /// Rust file that must declare it.
    pub fn module_to_create(&self, stem: &str) -> Option<(String, Option<String>)> {
        match self.focus.create.iter().find(|p| is_code_path(p)) {
            Some(p) => Some((p.clone(), self.rust_parent(p))),
            None => self.new_module_path(stem),
        }
    }

    /// A new module a shape adds for `stem` (an adapter, a port, a store) — or `None` when the
    /// code index resolved the files the change goes into: the plan then changes those files
    /// rather than adding modules nobody asked for (fewer, right files).
    pub fn shape_module(&self, stem: &str) -> Option<(String, Option<String>)> {
        if self.focus.indexed && !self.sources.is_empty() {
            None
        } else {
            self.new_module_path(stem)
        }
    }

    /// For a new Rust file, the existing file that declares its module (`mod.rs`, the
    /// parent `foo.rs`, or the crate's `lib.rs`/`main.rs`); `None` for other languages.
    fn rust_parent(&self, path: &str) -> Option<String> {
        if ext_of(path) != Some("rs") {
            return None;
        }
        let pdir = parent_of(path);
        let krate = rust_crate_dir(&pdir);
        let cands = if pdir.ends_with("src") || pdir.is_empty() {
            vec![format!("{krate}src/lib.rs"), format!("{krate}src/main.rs")]
        } else {
            vec![format!("{pdir}/mod.rs"), format!("{pdir}.rs")]
        };
        cands.into_iter().find(|c| self.exists(c))
    }

    /// `path` if it does not exist in the repository, else `path` with `_2`, `_3`, … before
    /// the extension.
    pub fn fresh(&self, path: &str) -> String {
        if !self.exists(path) {
            return path.to_string();
        }
        let (base, ext) = match path.rfind('.') {
            Some(i) if i > path.rfind('/').map(|j| j + 1).unwrap_or(0) => (&path[..i], &path[i..]),
            _ => (path, ""),
        };
        (2..100)
            .map(|n| format!("{base}_{n}{ext}"))
            .find(|p| !self.exists(p))
            .unwrap_or_else(|| path.to_string())
    }

    /// The docs directory of the repository (`docs` when it exists or nothing else does).
    pub fn docs_dir(&self) -> String {
        self.first_existing(&["docs", "doc", "documentation"])
            .unwrap_or_else(|| "docs".to_string())
    }

    /// The code a change touches, for steps: the focus's symbols (`` `name` in `path` ``, at
    /// most `max`), else the relevant source files, else `fallback`.
    pub fn code_prose(&self, max: usize, fallback: &str) -> String {
        let syms: Vec<String> = self
            .focus
            .changes
            .iter()
            .take(max)
            .map(|c| format!("`{}` in `{}`", c.symbol.name, c.symbol.path))
            .collect();
        if syms.is_empty() {
            self.sources_prose(max, fallback)
        } else {
            prose_list(&syms, "")
        }
    }

    /// Existing top-level documentation files worth updating (README, CHANGELOG).
    pub fn doc_files(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(r) = self.first_existing(&["README.md", "README.rst", "README", "readme.md"]) {
            v.push(r);
        }
        if let Some(c) = self.first_existing(&["CHANGELOG.md", "CHANGES.md", "HISTORY.md"]) {
            v.push(c);
        }
        v
    }

    /// The compose or service-definition file where services are declared (from the probe's
    /// service sources, else a conventional compose file that exists).
    pub fn services_file(&self) -> Option<String> {
        self.services
            .iter()
            .map(|s| s.source.clone())
            .chain(self.untouched.iter().map(|s| s.source.clone()))
            .find(|s| {
                self.exists(s)
                    && (s.contains("compose") || s.ends_with(".yml") || s.ends_with(".yaml"))
            })
            .or_else(|| {
                self.first_existing(&[
                    "docker-compose.yml",
                    "docker-compose.yaml",
                    "compose.yaml",
                    "compose.yml",
                ])
            })
    }

    /// A short grounded description of the repository for theses and summaries.
    pub fn repo_summary(&self) -> String {
        let mut s = String::new();
        let name = if self.repository.is_empty() {
            "The repository".to_string()
        } else {
            format!("`{}`", self.repository)
        };
        if self.languages.is_empty() {
            s.push_str(&format!("{name} has no detected language"));
        } else {
            s.push_str(&format!("{name} is mainly {}", self.languages[0]));
            if self.languages.len() > 1 {
                s.push_str(&format!(
                    " (also {})",
                    self.languages[1..]
                        .iter()
                        .take(2)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if !self.frameworks.is_empty() {
            s.push_str(&format!(
                ", using {}",
                self.frameworks
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        match (&self.build, &self.test) {
            (Some(b), Some(t)) => s.push_str(&format!(
                "; it builds with `{}` ({}) and tests with `{}` ({})",
                b.command, b.source, t.command, t.source
            )),
            (Some(b), None) => s.push_str(&format!(
                "; it builds with `{}` ({}) but no test command was detected",
                b.command, b.source
            )),
            (None, Some(t)) => s.push_str(&format!(
                "; it tests with `{}` ({}) and no separate build command was detected",
                t.command, t.source
            )),
            (None, None) => s.push_str("; the probe detected no build or test command"),
        }
        let all: Vec<String> = self
            .services
            .iter()
            .map(|s| format!("{} ({})", s.name, s.kind))
            .chain(
                self.untouched
                    .iter()
                    .map(|s| format!("{} ({})", s.name, s.kind)),
            )
            .collect();
        if !all.is_empty() {
            s.push_str(&format!(" and runs with {}", prose_list(&all, "")));
        }
        s.push('.');
        s
    }
}

fn with_slash(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

/// `host/src/offline` → `host/`; `src` → "".
fn rust_crate_dir(dir: &str) -> String {
    let segs: Vec<&str> = dir.split('/').collect();
    match segs.iter().position(|s| *s == "src") {
        Some(0) | None => String::new(),
        Some(i) => format!("{}/", segs[..i].join("/")),
    }
}

/// Lowercase words of a path (split on `/`, `.`, `_`, `-`).
pub fn path_words(p: &str) -> Vec<String> {
    p.split(['/', '.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn env_words(v: &str) -> Vec<String> {
    v.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn known_for(name: &str) -> Option<&'static Known> {
    KNOWN
        .iter()
        .find(|k| k.name == name || k.aliases.iter().any(|a| name.contains(a)))
}

/// The canonical catalogue entry (name, kind, env var) of a service word such as "postgres".
pub fn known_service(word: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let w = word.to_lowercase();
    KNOWN
        .iter()
        .find(|k| k.aliases.contains(&w.as_str()) || k.name == w)
        .map(|k| (k.name, k.kind, k.env))
}

/// The task without its leading verb and trailing punctuation, at most 10 words.
pub fn subject_of(task: &str) -> String {
    let t = task.trim().trim_end_matches(['.', '!', '?', ';', ':']);
    // The task's first line, up to a colon that ends a clause ("faster: p95 is 2 s"); the
    // colons of `Type::member` stay.
    let t = t.split('\n').next().unwrap_or(t);
    // A commit-style scope prefix ("parser: reject …", "feat(cli): add …") is dropped.
    let t = match t.split_once(": ") {
        Some((scope, rest)) if !scope.contains(' ') && !rest.trim().is_empty() => rest,
        _ => t,
    };
    let t = match t.find(": ") {
        Some(i) => &t[..i],
        None => t.strip_suffix(':').unwrap_or(t),
    };
    let mut words: Vec<&str> = t.split_whitespace().collect();
    // "Make X faster" is about X.
    while let Some(w) = words.last() {
        let lw = w.to_lowercase();
        if matches!(
            lw.as_str(),
            "faster" | "quicker" | "slower" | "better" | "smaller" | "cheaper" | "work" | "again"
        ) && words.len() > 2
        {
            words.pop();
        } else {
            break;
        }
    }
    while let Some(w) = words.first() {
        let lw = w.to_lowercase();
        if LEADING_VERBS.contains(&lw.as_str()) || matches!(lw.as_str(), "the" | "a" | "an" | "up")
        {
            words.remove(0);
        } else {
            break;
        }
    }
    if words.is_empty() {
        return t.to_string();
    }
    words.truncate(10);
    // "Add X to Y" is about X for Y.
    let first = t.split_whitespace().next().unwrap_or("").to_lowercase();
    if matches!(first.as_str(), "add" | "introduce" | "attach" | "bring") {
        if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case("to")) {
            if i > 0 {
                words[i] = "for";
            }
        }
    }
    words.join(" ")
}

/// snake_case stem of up to two meaningful words of `subject`.
fn stem_of(subject: &str) -> String {
    const FILLER: &[&str] = &[
        "whether",
        "should",
        "possible",
        "possibly",
        "options",
        "option",
        "ways",
        "best",
        "better",
        "faster",
        "slower",
        "quicker",
        "more",
        "efficient",
        "properly",
        "correctly",
        "crash",
        "bug",
        "error",
        "issue",
        "problem",
        "broken",
    ];
    let ts: Vec<String> = text::terms(subject)
        .into_iter()
        .filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric()) && !FILLER.contains(&t.as_str()))
        .take(2)
        .collect();
    if ts.is_empty() {
        "change".to_string()
    } else {
        ts.join("_")
    }
}

/// Numbers with units in a lowercased task: "2 seconds", "500ms", "20%", "3x".
fn targets_of(lower: &str) -> Vec<String> {
    let re = regex::Regex::new(r"\b\d+(\.\d+)?\s?(ms|milliseconds?|s|sec|seconds?|minutes?|%|x|mb|gb|kb|rps|req/s|requests per second)\b|\b\d+(\.\d+)?%").expect("valid target regex");
    let mut out: Vec<String> = Vec::new();
    for m in re.find_iter(lower) {
        let s = m.as_str().to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// snake_case of arbitrary text.
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.is_empty() {
        "change".to_string()
    } else {
        out
    }
}

/// kebab-case of arbitrary text.
pub fn kebab(s: &str) -> String {
    snake(s).replace('_', "-")
}

/// PascalCase of arbitrary text.
pub fn pascal(s: &str) -> String {
    snake(s)
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Sources, tests, other files, and every file's `(path, reason)`.
type RankedFiles = (Vec<String>, Vec<String>, Vec<String>, Vec<(String, String)>);

/// The probe's relevant files by score: at most five sources (each scoring at least half of
/// the best source: weak matches are context, not modify targets), three tests (no benches)
/// and three other files, with every file's reason.
fn rank_files(probe: &ProbeReport) -> RankedFiles {
    let mut ranked: Vec<&crate::model::RelevantFile> = probe.relevant_files.iter().collect();
    ranked.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.path.cmp(&b.path)));
    let mut sources = Vec::new();
    let mut tests = Vec::new();
    let mut others = Vec::new();
    let mut reasons = Vec::new();
    // Source files must score at least half of the best source's score: weak matches are
    // context, not modify targets.
    let top_source = ranked
        .iter()
        .filter(|f| !is_test_path(&f.path) && is_code_path(&f.path))
        .map(|f| f.score)
        .max()
        .unwrap_or(0);
    for f in &ranked {
        let p = f.path.replace('\\', "/");
        reasons.push((p.clone(), f.reason.clone()));
        if is_test_path(&p) {
            if tests.len() < 3 && !is_bench_path(&p) {
                tests.push(p);
            }
        } else if is_code_path(&p) {
            if sources.len() < 5 && f.score * 2 >= top_source {
                sources.push(p);
            }
        } else if others.len() < 3 {
            others.push(p);
        }
    }
    (sources, tests, others, reasons)
}

/// The probe's services the task touches (named, its kind's words, a relevant file that talks
/// to it, or a topic whose state belongs there), with why; and those it does not touch.
fn touched_services(
    probe: &ProbeReport,
    terms: &[String],
    topics: &[&'static Topic],
    sources: &[String],
    others: &[String],
) -> (Vec<ServiceUse>, Vec<DetectedService>) {
    let mut services: Vec<ServiceUse> = Vec::new();
    let mut untouched = Vec::new();
    for s in &probe.services {
        let name = s.name.to_lowercase();
        let known = known_for(&name);
        let aliases: Vec<&str> = known.map(|k| k.aliases.to_vec()).unwrap_or_default();
        let named = terms
            .iter()
            .any(|t| *t == name || aliases.contains(&t.as_str()));
        let kind_hit = kind_task_words(&s.kind)
            .iter()
            .find(|w| terms.iter().any(|t| t == *w));
        let files: Vec<String> = sources
            .iter()
            .chain(others.iter())
            .filter(|p| {
                let segs = path_words(p);
                segs.iter().any(|w| {
                    kind_path_words(&s.kind).contains(&w.as_str())
                        || *w == name
                        || aliases.contains(&w.as_str())
                })
            })
            .cloned()
            .collect();
        let topic_hit = topics
            .iter()
            .find(|t| t.store_kind == Some(s.kind.as_str()));
        let why = if named {
            format!("the task names {}", s.name)
        } else if let Some(w) = kind_hit {
            format!("the task mentions '{w}' ({} work)", s.kind)
        } else if !files.is_empty() {
            format!("{} is relevant and talks to the {}", files[0], s.kind)
        } else if let Some(t) = topic_hit {
            format!(
                "{} state belongs in the project's {}",
                t.name.replace('_', " "),
                s.kind
            )
        } else {
            untouched.push(s.clone());
            continue;
        };
        let env = probe
            .env_vars
            .iter()
            .filter(|v| {
                let ws = env_words(v);
                ws.iter().any(|w| {
                    *w == name
                        || aliases.contains(&w.as_str())
                        || kind_env_words(&s.kind).contains(&w.as_str())
                })
            })
            .cloned()
            .collect();
        services.push(ServiceUse {
            name: s.name.clone(),
            kind: s.kind.clone(),
            source: s.source.clone(),
            files,
            env,
            why,
        });
    }
    (services, untouched)
}

/// Services the task names that the probe did not find: new ones to provision, and those named
/// as the source of a move ("from MySQL", "replace Memcached", "instead of Kafka"), which already
/// exist somewhere even if the probe missed them and are never provisioned as new.
fn named_services(
    probe: &ProbeReport,
    terms: &[String],
    lower: &str,
) -> (Vec<NewService>, Vec<NewService>) {
    let source_re = regex::Regex::new(r"\b(?:from|replac\w*|instead of|swap(?: out)?|rip(?:ping)? out)\s+(?:the\s+|our\s+)?([a-z0-9]+)").expect("valid source regex");
    let sources_named: Vec<String> = source_re
        .captures_iter(lower)
        .map(|c| c[1].to_string())
        .collect();
    let mut new_services: Vec<NewService> = Vec::new();
    let mut source_services: Vec<NewService> = Vec::new();
    for k in KNOWN {
        let named = terms
            .iter()
            .any(|t| k.aliases.contains(&t.as_str()) && !sources_named.contains(t));
        let found = probe.services.iter().any(|s| {
            let n = s.name.to_lowercase();
            k.aliases.iter().any(|a| n.contains(a)) || n == k.name
        });
        let named_as_source = terms
            .iter()
            .any(|t| k.aliases.contains(&t.as_str()) && sources_named.contains(t));
        if named_as_source
            && !found
            && !source_services
                .iter()
                .any(|n: &NewService| n.name == k.name)
        {
            source_services.push(NewService {
                name: k.name,
                kind: k.kind,
                env: k.env,
            });
        }
        if named && !found && !new_services.iter().any(|n| n.name == k.name) {
            new_services.push(NewService {
                name: k.name,
                kind: k.kind,
                env: k.env,
            });
        }
    }
    (new_services, source_services)
}

/// Security-sensitive aspects of the task: one definition with the red team
/// (`offline::surface`) over the task and the relevant file paths, plus the sensitive topics;
/// a security task has at least the default aspect.
fn sensitive_aspects(
    task: &str,
    kind: TaskKind,
    topics: &[&'static Topic],
    sources: &[String],
    others: &[String],
) -> Vec<&'static str> {
    let mut found = surface::terms_in(task);
    for p in sources.iter().chain(others.iter()) {
        surface::push_terms(&surface::path_text(p), &mut found);
    }
    let mut sensitive: Vec<&'static str> = surface::aspects_of(&found);
    for t in topics {
        if t.sensitive {
            let aspect = match t.name {
                "rate_limit" => "brute-force abuse",
                "upload" => "file uploads",
                "webhooks" => "untrusted input",
                "permissions" => "authorization",
                "session" => "sessions",
                _ => "authentication",
            };
            if !sensitive.contains(&aspect) {
                sensitive.push(aspect);
            }
        }
    }
    if kind == TaskKind::Security && sensitive.is_empty() {
        sensitive.push(surface::DEFAULT_ASPECT);
    }
    sensitive
}

/// Relevant env vars: linked to a touched service, sharing a term with the task, or a secret
/// when the task is security-sensitive (unless it configures a service the task does not touch).
fn relevant_env_vars(
    probe: &ProbeReport,
    terms: &[String],
    services: &[ServiceUse],
    untouched: &[DetectedService],
    sensitive: &[&'static str],
) -> Vec<String> {
    let mut env_vars: Vec<String> = Vec::new();
    for v in &probe.env_vars {
        let ws = env_words(v);
        let by_service = services.iter().any(|s| s.env.contains(v));
        let generic = [
            "url", "host", "port", "name", "path", "dir", "env", "mode", "level", "uri", "user",
            "app",
        ];
        let by_term = ws.iter().any(|w| {
            !generic.contains(&w.as_str())
                && w.len() >= 3
                && terms.iter().any(|t| t == w || t.trim_end_matches('s') == w)
        });
        // A secret of a service the task does not touch (`POSTGRES_PASSWORD` when only
        // the cache is touched) configures that service, not the task's code.
        let of_untouched = untouched.iter().any(|u| {
            let name = u.name.to_lowercase();
            ws.iter().any(|w| {
                *w == name || known_for(&name).is_some_and(|k| k.aliases.contains(&w.as_str()))
            })
        });
        let by_secret = !sensitive.is_empty()
            && !of_untouched
            && ws.iter().any(|w| SECRET_ENV_WORDS.contains(&w.as_str()));
        if (by_service || by_term || by_secret) && !env_vars.contains(v) {
            env_vars.push(v.clone());
        }
    }
    env_vars
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Hand-built probe reports and repositories shared by the planner and Metis tests.
    use crate::model::*;
    use std::path::Path;

    pub fn cmd(purpose: &str, command: &str, source: &str) -> DetectedCommand {
        DetectedCommand {
            purpose: purpose.into(),
            command: command.into(),
            source: source.into(),
        }
    }

    pub fn rel(path: &str, reason: &str, score: u32) -> RelevantFile {
        RelevantFile {
            path: path.into(),
            reason: reason.into(),
            score,
        }
    }

    /// A Python web app: Makefile build, pytest, postgresql in docker-compose, auth files.
    pub fn python_app() -> ProbeReport {
        ProbeReport {
            repository: "shop".into(),
            languages: vec![
                LanguageStat {
                    name: "Python".into(),
                    files: 48,
                },
                LanguageStat {
                    name: "YAML".into(),
                    files: 6,
                },
            ],
            manifests: vec!["pyproject.toml".into(), "Makefile".into()],
            commands: vec![
                cmd("build", "make build", "Makefile"),
                cmd("test", "pytest", "pyproject.toml"),
                cmd("lint", "ruff check .", "pyproject.toml"),
            ],
            services: vec![
                DetectedService {
                    name: "postgresql".into(),
                    kind: "database".into(),
                    source: "docker-compose.yml".into(),
                },
                DetectedService {
                    name: "rabbitmq".into(),
                    kind: "queue".into(),
                    source: "docker-compose.yml".into(),
                },
            ],
            ci: vec![".github/workflows/ci.yml".into()],
            frameworks: vec!["Flask".into()],
            entry_points: vec!["app/main.py".into()],
            relevant_files: vec![
                rel("app/auth.py", "matched terms: login, auth", 9),
                rel("app/routes/login.py", "matched terms: login, endpoint", 8),
                rel("app/db.py", "matched terms: session", 6),
                rel("tests/test_auth.py", "matched terms: login", 5),
            ],
            env_vars: vec![
                "DATABASE_URL".into(),
                "SECRET_KEY".into(),
                "AMQP_URL".into(),
                "LOG_LEVEL".into(),
            ],
            skills: vec![],
            files_scanned: 60,
        }
    }

    /// Creates the files of `probe.relevant_files` plus `extra` under `root`.
    pub fn materialize(root: &Path, probe: &ProbeReport, extra: &[&str]) {
        for p in probe
            .relevant_files
            .iter()
            .map(|f| f.path.as_str())
            .chain(extra.iter().copied())
        {
            let full = root.join(p);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, "x\n").unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::model::LanguageStat;

    #[test]
    fn grounding_reads_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let probe = python_app();
        materialize(dir.path(), &probe, &["docker-compose.yml", "README.md"]);
        let g = Grounding::from_parts(
            "Add rate limiting to the login endpoint",
            TaskKind::Feature,
            &probe,
            dir.path(),
        );
        assert_eq!(g.build.as_ref().unwrap().command, "make build");
        assert_eq!(g.test.as_ref().unwrap().command, "pytest");
        assert_eq!(g.lang, Lang::Python);
        assert_eq!(
            g.sources,
            vec!["app/auth.py", "app/routes/login.py", "app/db.py"]
        );
        assert_eq!(g.tests, vec!["tests/test_auth.py"]);
        assert_eq!(g.stem, "rate_limit");
        assert!(g.sensitive.contains(&"authentication"));
        let pg = g
            .services
            .iter()
            .find(|s| s.name == "postgresql")
            .expect("db touched via app/db.py");
        assert_eq!(pg.files, vec!["app/db.py"]);
        assert_eq!(pg.env, vec!["DATABASE_URL"]);
        assert!(g.untouched.iter().any(|s| s.name == "rabbitmq"));
        assert!(g.env_vars.contains(&"DATABASE_URL".to_string()));
        assert!(g.env_vars.contains(&"SECRET_KEY".to_string()));
        assert!(!g.env_vars.contains(&"AMQP_URL".to_string()));
        assert_eq!(
            g.new_test_path("rate_limit").unwrap(),
            "tests/test_rate_limit.py"
        );
        assert_eq!(
            g.new_module_path("rate_limit").unwrap().0,
            "app/rate_limit.py"
        );
        assert_eq!(g.services_file().unwrap(), "docker-compose.yml");
        assert_eq!(g.subject, "rate limiting for the login endpoint");
    }

    #[test]
    fn new_services_are_those_the_probe_did_not_find() {
        let probe = python_app();
        let g = Grounding::from_parts(
            "Move session storage to Redis",
            TaskKind::Migration,
            &probe,
            Path::new("/nonexistent"),
        );
        assert_eq!(g.new_services.len(), 1);
        assert_eq!(g.new_services[0].name, "redis");
        assert_eq!(g.new_services[0].env, "REDIS_URL");
        let g = Grounding::from_parts(
            "Tune the postgres connection pool",
            TaskKind::Performance,
            &probe,
            Path::new("/nonexistent"),
        );
        assert!(g.new_services.is_empty());
        assert!(g
            .services
            .iter()
            .any(|s| s.name == "postgresql" && s.why.contains("names")));
    }

    #[test]
    fn rust_paths_follow_the_crate_layout() {
        let dir = tempfile::tempdir().unwrap();
        let probe = ProbeReport {
            repository: "tool".into(),
            languages: vec![LanguageStat {
                name: "Rust".into(),
                files: 30,
            }],
            commands: vec![
                cmd("build", "cargo build --workspace", "Cargo.toml"),
                cmd("test", "cargo test --workspace", "Cargo.toml"),
            ],
            relevant_files: vec![rel("host/src/net/client.rs", "matched terms: retry", 7)],
            ..Default::default()
        };
        materialize(
            dir.path(),
            &probe,
            &["host/src/net/mod.rs", "host/src/lib.rs"],
        );
        let g = Grounding::from_parts(
            "Add retries with backoff to the HTTP client",
            TaskKind::Feature,
            &probe,
            dir.path(),
        );
        assert_eq!(g.new_test_path("retries").unwrap(), "host/tests/retries.rs");
        let (m, parent) = g.new_module_path("retries").unwrap();
        assert_eq!(m, "host/src/net/retries.rs");
        assert_eq!(parent.as_deref(), Some("host/src/net/mod.rs"));
    }

    #[test]
    fn fresh_paths_never_exist() {
        let dir = tempfile::tempdir().unwrap();
        let probe = python_app();
        materialize(dir.path(), &probe, &["tests/test_rate_limit.py"]);
        let g = Grounding::from_parts(
            "Add rate limiting to the login endpoint",
            TaskKind::Feature,
            &probe,
            dir.path(),
        );
        assert_eq!(
            g.new_test_path("rate_limit").unwrap(),
            "tests/test_rate_limit_2.py"
        );
    }

    #[test]
    fn case_helpers() {
        assert_eq!(pascal("rate_limit"), "RateLimit");
        assert_eq!(kebab("Rate Limit"), "rate-limit");
        assert_eq!(
            subject_of("Fix the crash when saving."),
            "crash when saving"
        );
        assert_eq!(
            subject_of("Add `Overflow` to `ast::ErrorKind`"),
            "`Overflow` for `ast::ErrorKind`"
        );
        assert_eq!(
            subject_of("parser: reject duplicate keys"),
            "reject duplicate keys"
        );
        assert_eq!(
            subject_of("Make the search endpoint faster: p95 is 2 s"),
            "search endpoint"
        );
        assert_eq!(
            targets_of("p95 is 2 seconds, cut it by 50%"),
            vec!["2 seconds", "50%"]
        );
    }
}
