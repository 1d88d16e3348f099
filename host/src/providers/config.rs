//! Model configuration (docs/design.md §7, docs/design.md §3 invariant 7): which provider and model answer each model
//! category (`ultrabrain`, `deep`, `quick`), optional per-role overrides, provider settings and
//! the run budget.
//!
//! # File format (YAML; unknown keys are errors with file path and line)
//! ```yaml
//! providers:
//!   claude:   { kind: anthropic, api_key_env: ANTHROPIC_API_KEY }
//!   openai:   { kind: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY }
//!   ollama:   { kind: openai, base_url: http://localhost:11434/v1 }     # no key needed
//!   shell:    { kind: command, command: ["llm", "-m", "{model}"], timeout_secs: 300 }
//! categories:
//!   ultrabrain: { provider: claude, model: claude-opus-4-1 }
//!   deep:       { provider: claude, model: claude-sonnet-4-5 }
//!   quick:      { provider: ollama, model: qwen2.5-coder:7b }
//! roles:                      # optional: a category, or a provider + model
//!   momus: { category: ultrabrain }
//!   redteam-security: { provider: openai, model: gpt-4.1 }
//! budget: { max_spawns: 200, max_tokens: 2000000, deadline_secs: 1800 }
//! context: { code_tokens: 6000 }   # code shown to planners and reviewers (0: none)
//! ```
//!
//! Provider settings and their defaults: `base_url` (anthropic: `https://api.anthropic.com`,
//! openai: `https://api.openai.com/v1`), `api_key_env` (anthropic: `ANTHROPIC_API_KEY`; openai
//! with no `base_url`: `OPENAI_API_KEY`; otherwise none — no key sent), `timeout_secs` per call
//! (120), `connect_timeout_secs` (10), `max_retries` (3), `backoff_base_ms` (500),
//! `backoff_cap_ms` (30000), `concurrency` (4 calls at once), `max_tokens` per answer (8192),
//! `json_mode` (`auto` | `on` | `off`, default `auto`: JSON mode when the request asks for it).
//! Command providers: `command` (argv, no shell; an element `{model}` is replaced by the routed
//! model), `timeout_secs`, `concurrency`.
//!
//! # Layers, lowest to highest precedence
//! 1. the user's file `$XDG_CONFIG_HOME/anneal/config.yaml` (platform config dir via `dirs`);
//! 2. the project's `<repo>/.anneal/config.yaml`;
//! 3. `--config PATH` (must exist);
//! 4. CLI flags `--provider` / `--model`.
//!
//! Absent files 1–2 are skipped. Merging is per entry: each provider by name, each category, each
//! role and each budget field; a higher layer replaces that entry whole. Every entry remembers
//! the layer it came from (see [`Resolved::render`]).
//!
//! CLI fallbacks: `--provider openai --model NAME` with no such provider configured creates
//! provider `openai` (base URL `$OPENAI_BASE_URL`, else `https://api.openai.com/v1`; key
//! `$OPENAI_API_KEY`) and routes all three categories to it; `--provider anthropic --model NAME`
//! likewise (`$ANTHROPIC_BASE_URL`, `$ANTHROPIC_API_KEY`). `--provider NAME` naming a configured
//! provider routes all three categories to it (`--model` overrides the model; without it each
//! category keeps its model if it already used NAME, else takes the model of another category
//! routed to NAME) and drops role overrides that name another provider. `--model` alone
//! replaces the model of every category route.
//!
//! Missing categories while providers exist are routed like `deep` (else like the first configured
//! category, in the order ultrabrain, deep, quick); `render()` says so. No providers at all →
//! [`ModelConfig::is_empty`]: the offline engine runs (docs/design.md §7).

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::Category;

/// Default per-call timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 120.0;
/// Default connect timeout, seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: f64 = 10.0;
/// Default retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Default backoff base, milliseconds (full jitter over `base · 2^(retry-1)`).
pub const DEFAULT_BACKOFF_BASE_MS: u64 = 500;
/// Default backoff cap, milliseconds.
pub const DEFAULT_BACKOFF_CAP_MS: u64 = 30_000;
/// Default concurrent calls per provider.
pub const DEFAULT_CONCURRENCY: u32 = 4;
/// Default output tokens per answer.
pub const DEFAULT_MAX_TOKENS: u32 = 8192;
/// Default Anthropic base URL (the Messages API is at `{base}/v1/messages`).
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// Default OpenAI base URL (chat completions at `{base}/chat/completions`).
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// The three category names, in routing-fallback order after `deep`.
const CATEGORIES: [&str; 3] = ["ultrabrain", "deep", "quick"];

/// Why the configuration cannot be used. Messages name the file or flag and never a secret value.
#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    /// `--config PATH` does not exist.
    #[error("config file {} does not exist (given with --config)", .path.display())]
    NotFound { path: PathBuf },
    /// A config file exists but cannot be read.
    #[error("cannot read config file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// YAML syntax or shape error (unknown key, unknown kind, wrong type), with line and column.
    #[error("config file {}: {message}", .path.display())]
    Parse { path: PathBuf, message: String },
    /// A semantically invalid entry; `at` names the file or flag and the entry.
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
    /// A provider's `api_key_env` variable is unset or empty.
    #[error(
        "provider `{provider}` needs an API key: set the environment variable ${var} (or remove api_key_env for a server that needs no key)"
    )]
    MissingKey { provider: String, var: String },
}

/// Provider kind: which wire protocol it speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Anthropic Messages API.
    Anthropic,
    /// OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, llama.cpp, OpenRouter, …).
    Openai,
    /// An external command: prompt on stdin, answer on stdout.
    Command,
}

impl ProviderKind {
    fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Openai => "openai",
            ProviderKind::Command => "command",
        }
    }
}

/// Whether to use an OpenAI-compatible provider's JSON mode (`response_format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonMode {
    /// When the request asks for JSON (the format adapter decides per model family).
    #[default]
    Auto,
    /// Whenever the request asks for JSON, also for model families the adapter would skip.
    On,
    /// Never (for servers that reject `response_format`).
    Off,
}

/// One provider's settings as written; the accessor methods apply the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Wire protocol.
    pub kind: ProviderKind,
    /// API base URL (HTTP kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Name of the environment variable holding the key (never the key itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Argv of a command provider (no shell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Per-call timeout, seconds (default 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<f64>,
    /// Connect timeout, seconds (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<f64>,
    /// Retries after the first attempt (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// Backoff base, milliseconds (default 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_base_ms: Option<u64>,
    /// Backoff cap, milliseconds (default 30000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_cap_ms: Option<u64>,
    /// Concurrent calls (default 4, ≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Output tokens per answer (default 8192, ≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// JSON mode for OpenAI-compatible providers (default auto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_mode: Option<JsonMode>,
}

impl ProviderConfig {
    /// A provider of `kind` with every setting at its default.
    pub fn new(kind: ProviderKind) -> ProviderConfig {
        ProviderConfig {
            kind,
            base_url: None,
            api_key_env: None,
            command: None,
            timeout_secs: None,
            connect_timeout_secs: None,
            max_retries: None,
            backoff_base_ms: None,
            backoff_cap_ms: None,
            concurrency: None,
            max_tokens: None,
            json_mode: None,
        }
    }
    /// The base URL, defaulted per kind (`None` for commands).
    pub fn base_url(&self) -> Option<String> {
        match (self.kind, &self.base_url) {
            (ProviderKind::Command, _) => None,
            (_, Some(u)) => Some(u.clone()),
            (ProviderKind::Anthropic, None) => Some(ANTHROPIC_BASE_URL.into()),
            (ProviderKind::Openai, None) => Some(OPENAI_BASE_URL.into()),
        }
    }
    /// The key variable: as configured, else `ANTHROPIC_API_KEY` for anthropic and
    /// `OPENAI_API_KEY` for openai with the default base URL; else none (no key sent).
    pub fn api_key_env(&self) -> Option<String> {
        match (&self.api_key_env, self.kind, &self.base_url) {
            (Some(v), _, _) => Some(v.clone()),
            (None, ProviderKind::Anthropic, _) => Some("ANTHROPIC_API_KEY".into()),
            (None, ProviderKind::Openai, None) => Some("OPENAI_API_KEY".into()),
            _ => None,
        }
    }
    /// Per-call timeout (default 120 s).
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS))
    }
    /// Connect timeout (default 10 s).
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs_f64(
            self.connect_timeout_secs
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS),
        )
    }
    /// Retries after the first attempt (default 3).
    pub fn max_retries(&self) -> u32 {
        self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)
    }
    /// Backoff base (default 500 ms).
    pub fn backoff_base(&self) -> Duration {
        Duration::from_millis(self.backoff_base_ms.unwrap_or(DEFAULT_BACKOFF_BASE_MS))
    }
    /// Backoff cap (default 30 s).
    pub fn backoff_cap(&self) -> Duration {
        Duration::from_millis(self.backoff_cap_ms.unwrap_or(DEFAULT_BACKOFF_CAP_MS))
    }
    /// Concurrent calls (default 4).
    pub fn concurrency(&self) -> u32 {
        self.concurrency.unwrap_or(DEFAULT_CONCURRENCY)
    }
    /// Output tokens per answer (default 8192).
    pub fn max_tokens(&self) -> u32 {
        self.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)
    }
    /// JSON mode (default auto).
    pub fn json_mode(&self) -> JsonMode {
        self.json_mode.unwrap_or_default()
    }
}

/// A provider and one of its models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// A configured provider name.
    pub provider: String,
    /// The provider's model name.
    pub model: String,
    /// Output tokens asked for per answer of the agents routed here; default: the provider's
    /// `max_tokens`, which also caps it. An answer cut off at a limit below the provider's is
    /// asked again once with twice the limit (at most the provider's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// A per-role override: use another category's route, or a provider + model directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleRoute {
    /// Route like this category.
    Category(Category),
    /// This provider and model.
    Direct(Route),
}

/// Run budget (docs/design.md §7): the run stops cleanly when either limit is reached. `None` → no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Most agent spawns (model calls) in one run.
    #[serde(default)]
    pub max_spawns: Option<u32>,
    /// Most tokens (input + output) in one run.
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// Seconds from the start of a run after which no agent call is started and a call in
    /// flight is cancelled (the run stops cleanly, naming this key).
    #[serde(default)]
    pub deadline_secs: Option<u64>,
}

/// What model agents are shown beside the probe report (docs/design.md §10, "grounding").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    /// Token budget of the `<code>` section (resolved definitions with their signatures and
    /// excerpts, the files that exist) in planner and reviewer prompts; `None` →
    /// [`DEFAULT_CODE_TOKENS`]; 0 leaves the section out. At most [`MAX_CODE_TOKENS`].
    #[serde(default)]
    pub code_tokens: Option<u32>,
}

/// Default token budget of the code context.
pub const DEFAULT_CODE_TOKENS: u32 = 6_000;
/// Largest accepted `context.code_tokens`.
pub const MAX_CODE_TOKENS: u32 = 200_000;

impl ContextConfig {
    /// The effective budget, in tokens.
    pub fn code_tokens(&self) -> u32 {
        self.code_tokens.unwrap_or(DEFAULT_CODE_TOKENS)
    }
}

/// The merged, validated model configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelConfig {
    /// Providers by name.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Category name (`ultrabrain` | `deep` | `quick`) → route; all three present when any
    /// provider is configured.
    pub categories: BTreeMap<String, Route>,
    /// Role name → override.
    pub roles: BTreeMap<String, RoleRoute>,
    /// Run budget.
    pub budget: Budget,
    /// What agents are shown (`context:`).
    pub context: ContextConfig,
}

impl ModelConfig {
    /// Provider + model for `role`, whose prompt names `category` (docs/design.md §3 invariant 7): the role
    /// override first (a direct route, or its category's route), then the category map. `None`
    /// when the config is empty.
    pub fn route(&self, role: &str, category: Category) -> Option<Route> {
        match self.roles.get(role) {
            Some(RoleRoute::Direct(r)) => Some(r.clone()),
            Some(RoleRoute::Category(c)) => self.categories.get(c.as_str()).cloned(),
            None => self.categories.get(category.as_str()).cloned(),
        }
    }

    /// Names of the providers some category or role routes to: the only ones a run can call.
    pub fn routed_providers(&self) -> std::collections::BTreeSet<String> {
        let direct = self.roles.values().filter_map(|r| match r {
            RoleRoute::Direct(r) => Some(r.provider.clone()),
            RoleRoute::Category(_) => None,
        });
        self.categories
            .values()
            .map(|r| r.provider.clone())
            .chain(direct)
            .collect()
    }

    /// True when no provider is configured: the offline engine runs every role (docs/design.md §7).
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

/// Where environment variables are read from: the process, or a fixed map (tests).
#[derive(Clone, Default)]
pub enum EnvSource {
    /// `std::env::var`.
    #[default]
    Process,
    /// A fixed map; variables not in it are unset.
    Map(BTreeMap<String, String>),
}

impl EnvSource {
    /// A fixed environment from `(name, value)` pairs.
    pub fn map<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> EnvSource {
        EnvSource::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
    /// The variable's value, if set (and valid Unicode).
    pub fn get(&self, name: &str) -> Option<String> {
        match self {
            EnvSource::Process => std::env::var(name).ok(),
            EnvSource::Map(m) => m.get(name).cloned(),
        }
    }
    /// Set and non-blank.
    fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.trim().is_empty())
    }
}

impl fmt::Debug for EnvSource {
    /// Names only, never values (they may be keys).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvSource::Process => f.write_str("EnvSource::Process"),
            EnvSource::Map(m) => write!(f, "EnvSource::Map({:?})", m.keys().collect::<Vec<_>>()),
        }
    }
}

/// What [`resolve`] reads. Build it from the CLI: `config_path` from `--config`, `repo_root` the
/// target repository, `provider`/`model` from `--provider`/`--model`, `xdg_config_dir: None` and
/// `env: EnvSource::Process` in production (tests set both).
#[derive(Clone, Debug, Default)]
pub struct ResolveInputs {
    /// `--config PATH` (must exist).
    pub config_path: Option<PathBuf>,
    /// Repository root; `<repo>/.anneal/config.yaml` is read when present.
    pub repo_root: Option<PathBuf>,
    /// Directory holding `anneal/config.yaml`; `None` → `$XDG_CONFIG_HOME` from `env`, else the
    /// platform config dir (`dirs::config_dir`).
    pub xdg_config_dir: Option<PathBuf>,
    /// `--provider NAME`.
    pub provider: Option<String>,
    /// `--model NAME`.
    pub model: Option<String>,
    /// Environment lookups (base URL fallbacks, key presence, `XDG_CONFIG_HOME`).
    pub env: EnvSource,
}

/// Where a configuration entry came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A config file.
    File(PathBuf),
    /// A CLI flag (e.g. `--provider flag`), with optional detail.
    Flag(String),
    /// Filled in by a rule of this module (e.g. a missing category routed like `deep`).
    Fallback(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Flag(s) => f.write_str(s),
            Source::Fallback(s) => write!(f, "fallback: {s}"),
        }
    }
}

/// The effective configuration with provenance, for the engine and `anneal config`.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The merged, validated configuration.
    pub config: ModelConfig,
    /// Entry key (`providers.NAME`, `categories.NAME`, `roles.NAME`, `budget.FIELD`) → source.
    pub sources: BTreeMap<String, Source>,
    /// Config files read, lowest precedence first.
    pub files: Vec<PathBuf>,
    /// Key variable → whether it was set (non-blank) at resolve time. Never the value.
    pub key_status: BTreeMap<String, bool>,
    /// Human notes (fallbacks applied, overrides dropped).
    pub notes: Vec<String>,
}

impl Resolved {
    /// The effective configuration as YAML-like text with `# from <source>` comments (for
    /// `anneal config`). Keys appear as `$VAR (set)` / `$VAR (not set)`, never their values.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# anneal model configuration (docs/design.md §7)");
        if self.files.is_empty() {
            let _ = writeln!(out, "# config files read: none");
        } else {
            let _ = writeln!(out, "# config files read, lowest precedence first:");
            for f in &self.files {
                let _ = writeln!(out, "#   {}", f.display());
            }
        }
        if self.config.is_empty() {
            let _ = writeln!(
                out,
                "# no provider configured: the offline engine runs every agent role"
            );
            let _ = writeln!(out, "providers: {{}}");
        } else {
            let _ = writeln!(out, "providers:");
            for (name, p) in &self.config.providers {
                self.render_provider(&mut out, name, p);
            }
            let _ = writeln!(out, "categories:");
            for (name, r) in &self.config.categories {
                let _ = writeln!(
                    out,
                    "  {name}: {{ provider: {}, model: {}{} }}  # from {}",
                    r.provider,
                    r.model,
                    r.max_tokens
                        .map(|n| format!(", max_tokens: {n}"))
                        .unwrap_or_default(),
                    self.source(&format!("categories.{name}"))
                );
            }
            if !self.config.roles.is_empty() {
                let _ = writeln!(out, "roles:");
                for (name, r) in &self.config.roles {
                    let body = match r {
                        RoleRoute::Category(c) => format!("{{ category: {} }}", c.as_str()),
                        RoleRoute::Direct(r) => {
                            format!("{{ provider: {}, model: {} }}", r.provider, r.model)
                        }
                    };
                    let _ = writeln!(
                        out,
                        "  {name}: {body}  # from {}",
                        self.source(&format!("roles.{name}"))
                    );
                }
            }
        }
        let b = &self.config.budget;
        let _ = writeln!(out, "budget:");
        match b.max_spawns {
            Some(v) => {
                let _ = writeln!(
                    out,
                    "  max_spawns: {v}  # from {}",
                    self.source("budget.max_spawns")
                );
            }
            None => {
                let _ = writeln!(out, "  max_spawns: none  # no limit");
            }
        }
        match b.max_tokens {
            Some(v) => {
                let _ = writeln!(
                    out,
                    "  max_tokens: {v}  # from {}",
                    self.source("budget.max_tokens")
                );
            }
            None => {
                let _ = writeln!(out, "  max_tokens: none  # no limit");
            }
        }
        match b.deadline_secs {
            Some(v) => {
                let _ = writeln!(
                    out,
                    "  deadline_secs: {v}  # from {}",
                    self.source("budget.deadline_secs")
                );
            }
            None => {
                let _ = writeln!(out, "  deadline_secs: none  # agent calls may take as long as their timeouts and retries allow");
            }
        }
        let _ = writeln!(
            out,
            "context:\n  code_tokens: {}  # from {}",
            self.config.context.code_tokens(),
            self.source("context.code_tokens")
        );
        for n in &self.notes {
            let _ = writeln!(out, "# note: {n}");
        }
        out
    }

    /// The effective configuration as JSON (the `result` of `anneal config --format json`):
    /// `files`, `providers` (each with its settings as written, `source`, and for a key
    /// variable whether it is set — never its value), `categories`, `roles`, `budget`, `notes`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let providers: serde_json::Map<String, serde_json::Value> = self
            .config
            .providers
            .iter()
            .map(|(name, p)| {
                let key = p.api_key_env();
                let set = key
                    .as_ref()
                    .map(|v| self.key_status.get(v).copied().unwrap_or(false));
                let mut v = serde_json::to_value(p).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("api_key_env".into(), json!(key));
                    o.insert("api_key_set".into(), json!(set));
                    o.insert(
                        "source".into(),
                        json!(self.source(&format!("providers.{name}"))),
                    );
                }
                (name.clone(), v)
            })
            .collect();
        let route = |r: &Route, key: String| json!({ "provider": r.provider, "model": r.model, "source": self.source(&key) });
        let categories: serde_json::Map<String, serde_json::Value> = self
            .config
            .categories
            .iter()
            .map(|(n, r)| (n.clone(), route(r, format!("categories.{n}"))))
            .collect();
        let roles: serde_json::Map<String, serde_json::Value> = self
            .config
            .roles
            .iter()
            .map(|(n, r)| {
                let v = match r {
                    RoleRoute::Category(c) => json!({
                        "category": c.as_str(),
                        "source": self.source(&format!("roles.{n}")),
                    }),
                    RoleRoute::Direct(r) => route(r, format!("roles.{n}")),
                };
                (n.clone(), v)
            })
            .collect();
        json!({
            "files": self.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            "offline": self.config.is_empty(),
            "providers": providers,
            "categories": categories,
            "roles": roles,
            "budget": self.config.budget,
            "notes": self.notes,
        })
    }

    fn render_provider(&self, out: &mut String, name: &str, p: &ProviderConfig) {
        let _ = writeln!(
            out,
            "  {name}:  # from {}",
            self.source(&format!("providers.{name}"))
        );
        let _ = writeln!(out, "    kind: {}", p.kind.as_str());
        let def = |set: bool| if set { "" } else { "  # default" };
        if let Some(u) = p.base_url() {
            let u = redact_url(&u);
            let _ = writeln!(out, "    base_url: {u}{}", def(p.base_url.is_some()));
        }
        match p.api_key_env() {
            Some(var) => {
                let state = if self.key_status.get(&var).copied().unwrap_or(false) {
                    "set"
                } else {
                    "not set"
                };
                let _ = writeln!(
                    out,
                    "    api_key_env: ${var} ({state}){}",
                    def(p.api_key_env.is_some())
                );
            }
            None if p.kind != ProviderKind::Command => {
                let _ = writeln!(out, "    api_key_env: none  # no key sent");
            }
            None => {}
        }
        if let Some(c) = &p.command {
            let _ = writeln!(
                out,
                "    command: {}",
                serde_json::to_string(c).unwrap_or_default()
            );
        }
        let _ = writeln!(
            out,
            "    timeout_secs: {}{}",
            p.timeout().as_secs_f64(),
            def(p.timeout_secs.is_some())
        );
        if p.kind != ProviderKind::Command {
            let _ = writeln!(
                out,
                "    connect_timeout_secs: {}{}",
                p.connect_timeout().as_secs_f64(),
                def(p.connect_timeout_secs.is_some())
            );
            let _ = writeln!(
                out,
                "    max_retries: {}{}",
                p.max_retries(),
                def(p.max_retries.is_some())
            );
            let _ = writeln!(
                out,
                "    backoff_base_ms: {}{}",
                p.backoff_base().as_millis(),
                def(p.backoff_base_ms.is_some())
            );
            let _ = writeln!(
                out,
                "    backoff_cap_ms: {}{}",
                p.backoff_cap().as_millis(),
                def(p.backoff_cap_ms.is_some())
            );
            let _ = writeln!(
                out,
                "    max_tokens: {}{}",
                p.max_tokens(),
                def(p.max_tokens.is_some())
            );
        }
        let _ = writeln!(
            out,
            "    concurrency: {}{}",
            p.concurrency(),
            def(p.concurrency.is_some())
        );
        if p.kind == ProviderKind::Openai {
            let mode = match p.json_mode() {
                JsonMode::Auto => "auto",
                JsonMode::On => "on",
                JsonMode::Off => "off",
            };
            let _ = writeln!(out, "    json_mode: {mode}{}", def(p.json_mode.is_some()));
        }
    }

    fn source(&self, key: &str) -> String {
        self.sources
            .get(key)
            .map(|s| s.to_string())
            .unwrap_or_else(|| "default".into())
    }
}

/// One config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    providers: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    categories: BTreeMap<String, Route>,
    #[serde(default)]
    roles: BTreeMap<String, RoleFile>,
    #[serde(default)]
    budget: Budget,
    #[serde(default)]
    context: ContextConfig,
}

/// A role override as written: `category`, or `provider` + `model`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    model: Option<String>,
    /// With `provider` + `model`: output tokens per answer (see [`Route::max_tokens`]).
    #[serde(default)]
    max_tokens: Option<u32>,
}

/// Reads and parses one file; an empty (or comment-only) file is an empty layer.
fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let parsed: Option<FileConfig> =
        serde_yaml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(parsed.unwrap_or_default())
}

/// Loads and merges the config layers (documented order in the module doc), applies the CLI's
/// `--provider`/`--model` fallbacks, fills missing categories and validates.
/// Errors: `--config` path missing ([`ConfigError::NotFound`]); unreadable file; YAML errors with
/// file and line (unknown keys, unknown `kind`); a route naming an unconfigured provider; a
/// command provider without `command`; an unknown category; `--provider` naming neither a
/// configured provider nor `openai`/`anthropic`; `--provider openai|anthropic` without `--model`
/// when it must create the provider. Reads no key value (only whether key variables are set).
pub fn resolve(inputs: &ResolveInputs) -> Result<Resolved, ConfigError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let user_dir = inputs
        .xdg_config_dir
        .clone()
        .or_else(|| {
            inputs
                .env
                .get("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        })
        .or_else(dirs::config_dir);
    if let Some(dir) = user_dir {
        let p = dir.join("anneal").join("config.yaml");
        if p.is_file() {
            paths.push(p);
        }
    }
    if let Some(root) = &inputs.repo_root {
        let p = root.join(".anneal").join("config.yaml");
        if p.is_file() {
            paths.push(p);
        }
    }
    if let Some(p) = &inputs.config_path {
        if !p.is_file() {
            return Err(ConfigError::NotFound { path: p.clone() });
        }
        paths.push(p.clone());
    }

    let mut r = Resolved {
        config: ModelConfig::default(),
        sources: BTreeMap::new(),
        files: Vec::new(),
        key_status: BTreeMap::new(),
        notes: Vec::new(),
    };
    for path in paths {
        let file = load_file(&path)?;
        merge(&mut r, file, &path)?;
        r.files.push(path);
    }
    apply_cli(&mut r, inputs)?;
    fill_categories(&mut r)?;
    validate(&r)?;
    for p in r.config.providers.values() {
        if let Some(var) = p.api_key_env() {
            let set = inputs.env.is_set(&var);
            r.key_status.insert(var, set);
        }
    }
    Ok(r)
}

fn merge(r: &mut Resolved, file: FileConfig, path: &Path) -> Result<(), ConfigError> {
    let src = Source::File(path.to_path_buf());
    for (name, p) in file.providers {
        r.sources.insert(format!("providers.{name}"), src.clone());
        r.config.providers.insert(name, p);
    }
    for (name, route) in file.categories {
        if Category::parse(&name).is_none() {
            return Err(ConfigError::Invalid {
                at: format!("{}: categories.{name}", path.display()),
                message: "unknown category; use ultrabrain, deep or quick".into(),
            });
        }
        r.sources.insert(format!("categories.{name}"), src.clone());
        r.config.categories.insert(name, route);
    }
    for (name, role) in file.roles {
        let at = || format!("{}: roles.{name}", path.display());
        let role_max_tokens = role.max_tokens;
        let route = match (role.category, role.provider, role.model) {
            (Some(c), None, None) => {
                RoleRoute::Category(Category::parse(&c).ok_or_else(|| ConfigError::Invalid {
                    at: at(),
                    message: format!("unknown category `{c}`; use ultrabrain, deep or quick"),
                })?)
            }
            (None, Some(provider), Some(model)) => RoleRoute::Direct(Route {
                provider,
                model,
                max_tokens: role_max_tokens,
            }),
            _ => {
                return Err(ConfigError::Invalid {
                    at: at(),
                    message: "write either { category: NAME } or { provider: NAME, model: NAME }"
                        .into(),
                });
            }
        };
        r.sources.insert(format!("roles.{name}"), src.clone());
        r.config.roles.insert(name, route);
    }
    if let Some(v) = file.budget.max_spawns {
        r.config.budget.max_spawns = Some(v);
        r.sources.insert("budget.max_spawns".into(), src.clone());
    }
    if let Some(v) = file.budget.max_tokens {
        r.config.budget.max_tokens = Some(v);
        r.sources.insert("budget.max_tokens".into(), src.clone());
    }
    if let Some(v) = file.budget.deadline_secs {
        r.config.budget.deadline_secs = Some(v);
        r.sources.insert("budget.deadline_secs".into(), src.clone());
    }
    if let Some(v) = file.context.code_tokens {
        r.config.context.code_tokens = Some(v);
        r.sources.insert("context.code_tokens".into(), src);
    }
    Ok(())
}

/// Layer 4: `--provider` / `--model`.
fn apply_cli(r: &mut Resolved, inputs: &ResolveInputs) -> Result<(), ConfigError> {
    let model = inputs
        .model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let Some(name) = inputs
        .provider
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        if let Some(m) = model {
            if r.config.is_empty() {
                return Err(ConfigError::Invalid {
                    at: "--model flag".into(),
                    message: "no provider is configured; pass --provider openai|anthropic too (or a provider from a config file)".into(),
                });
            }
            for (cat, route) in r.config.categories.iter_mut() {
                route.model = m.to_string();
                r.sources.insert(
                    format!("categories.{cat}"),
                    Source::Flag("--model flag".into()),
                );
            }
            r.notes
                .push(format!("--model {m} applies to every category route"));
        }
        return Ok(());
    };

    let flag = Source::Flag("--provider flag".into());
    if !r.config.providers.contains_key(name) {
        let (kind, base_var, key_var, default_base, example) = match name {
            "openai" => (
                ProviderKind::Openai,
                "OPENAI_BASE_URL",
                "OPENAI_API_KEY",
                OPENAI_BASE_URL,
                "gpt-4.1",
            ),
            "anthropic" => (
                ProviderKind::Anthropic,
                "ANTHROPIC_BASE_URL",
                "ANTHROPIC_API_KEY",
                ANTHROPIC_BASE_URL,
                "claude-sonnet-4-5",
            ),
            _ => {
                let configured: Vec<&str> = r.config.providers.keys().map(String::as_str).collect();
                return Err(ConfigError::Invalid {
                    at: "--provider flag".into(),
                    message: format!(
                        "unknown provider `{name}`: use openai or anthropic{}",
                        if configured.is_empty() {
                            ", or define it under providers: in a config file".to_string()
                        } else {
                            format!(
                                ", or one of the configured providers: {}",
                                configured.join(", ")
                            )
                        }
                    ),
                });
            }
        };
        let Some(m) = model else {
            return Err(ConfigError::Invalid {
                at: "--provider flag".into(),
                message: format!("--provider {name} needs --model NAME (e.g. --model {example})"),
            });
        };
        let mut p = ProviderConfig::new(kind);
        let (base, base_from) = match inputs.env.get(base_var).filter(|v| !v.trim().is_empty()) {
            Some(v) => (v.trim().to_string(), format!("${base_var}")),
            None => (default_base.to_string(), "default".to_string()),
        };
        p.base_url = Some(base);
        p.api_key_env = Some(key_var.into());
        r.config.providers.insert(name.to_string(), p);
        r.sources.insert(
            format!("providers.{name}"),
            Source::Flag(format!(
                "--provider flag (base_url from {base_from}, environment)"
            )),
        );
        r.notes.push(format!(
            "--provider {name} routes every category to {name} / {m}"
        ));
        for cat in CATEGORIES {
            r.config.categories.insert(
                cat.into(),
                Route {
                    provider: name.into(),
                    model: m.into(),
                    max_tokens: None,
                },
            );
            r.sources.insert(format!("categories.{cat}"), flag.clone());
        }
    } else {
        let fallback_model = model.map(str::to_string).or_else(|| {
            ["deep", "ultrabrain", "quick"]
                .iter()
                .filter_map(|c| r.config.categories.get(*c))
                .chain(r.config.roles.values().filter_map(|x| match x {
                    RoleRoute::Direct(rt) => Some(rt),
                    _ => None,
                }))
                .find(|rt| rt.provider == name)
                .map(|rt| rt.model.clone())
        });
        for cat in CATEGORIES {
            let keep = r
                .config
                .categories
                .get(cat)
                .filter(|rt| rt.provider == name && model.is_none())
                .map(|rt| rt.model.clone());
            let m =
                keep.or_else(|| fallback_model.clone())
                    .ok_or_else(|| ConfigError::Invalid {
                        at: "--provider flag".into(),
                        message: format!(
                            "no category routes provider `{name}` to a model; pass --model NAME"
                        ),
                    })?;
            r.config.categories.insert(
                cat.into(),
                Route {
                    provider: name.into(),
                    model: m,
                    max_tokens: None,
                },
            );
            r.sources.insert(format!("categories.{cat}"), flag.clone());
        }
        let dropped: Vec<String> = r
            .config
            .roles
            .iter()
            .filter(|(_, x)| matches!(x, RoleRoute::Direct(rt) if rt.provider != name))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &dropped {
            r.config.roles.remove(k);
            r.sources.remove(&format!("roles.{k}"));
        }
        r.notes
            .push(format!("--provider {name} routes every category to {name}"));
        if !dropped.is_empty() {
            r.notes.push(format!(
                "--provider {name} dropped role overrides naming other providers: {}",
                dropped.join(", ")
            ));
        }
    }
    Ok(())
}

/// Routes missing categories like `deep`, else like the first configured category.
fn fill_categories(r: &mut Resolved) -> Result<(), ConfigError> {
    if r.config.providers.is_empty() {
        return Ok(());
    }
    let donor = ["deep", "ultrabrain", "quick"]
        .into_iter()
        .find(|c| r.config.categories.contains_key(*c));
    let Some(donor) = donor else {
        let first = r
            .config
            .providers
            .keys()
            .next()
            .cloned()
            .unwrap_or_default();
        return Err(ConfigError::Invalid {
            at: files_label(r),
            message: format!(
                "providers are configured but no category routes to them; add\ncategories:\n  deep: {{ provider: {first}, model: MODEL }}\n(ultrabrain and quick default to deep's route)"
            ),
        });
    };
    for cat in CATEGORIES {
        if !r.config.categories.contains_key(cat) {
            let route = r.config.categories[donor].clone();
            r.config.categories.insert(cat.into(), route);
            r.sources.insert(
                format!("categories.{cat}"),
                Source::Fallback(format!("{cat} not configured, routed like {donor}")),
            );
        }
    }
    Ok(())
}

/// Whether `s` is an environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
fn env_var_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Prefixes of API keys as providers issue them.
const KEY_PREFIXES: &[&str] = &[
    "sk-",
    "sk_",
    "rk_",
    "pk_",
    "xai-",
    "gsk_",
    "hf_",
    "ghp_",
    "gho_",
    "github_pat_",
    "AIza",
    "pplx-",
    "nvapi-",
    "r8_",
    "tvly-",
    "csk-",
];

/// Whether `s`, written where a variable name belongs, looks like a key: a known key prefix,
/// or long (20+ characters) with no `_` and a mix of letters and digits — variable names are
/// words joined by `_` (`OPENAI_API_KEY`), keys are not.
fn looks_like_a_key(s: &str) -> bool {
    let s = s.trim();
    let mixed = s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(|c| c.is_ascii_alphabetic());
    KEY_PREFIXES.iter().any(|p| s.starts_with(p)) || (s.len() >= 20 && !s.contains('_') && mixed)
}

fn files_label(r: &Resolved) -> String {
    if r.files.is_empty() {
        "configuration".into()
    } else {
        r.files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn validate(r: &Resolved) -> Result<(), ConfigError> {
    let at = |key: &str| -> String {
        match r.sources.get(key) {
            Some(s) => format!("{s}: {key}"),
            None => key.to_string(),
        }
    };
    let bad = |key: &str, message: String| ConfigError::Invalid {
        at: at(key),
        message,
    };
    if r.config.context.code_tokens() > MAX_CODE_TOKENS {
        return Err(bad(
            "context.code_tokens",
            format!("at most {MAX_CODE_TOKENS} tokens of code context; 0 leaves it out"),
        ));
    }
    for (name, p) in &r.config.providers {
        let key = format!("providers.{name}");
        match p.kind {
            ProviderKind::Command => {
                let ok = p
                    .command
                    .as_ref()
                    .is_some_and(|c| c.first().is_some_and(|s| !s.trim().is_empty()));
                if !ok {
                    return Err(bad(
                        &key,
                        "a command provider needs command: [PROGRAM, ARG…] (argv, no shell)".into(),
                    ));
                }
                if p.base_url.is_some() {
                    return Err(bad(&key, "base_url is not used by kind: command".into()));
                }
            }
            _ => {
                if p.command.is_some() {
                    return Err(bad(
                        &key,
                        format!(
                            "command is only for kind: command (this provider is kind: {})",
                            p.kind.as_str()
                        ),
                    ));
                }
                let base = p.base_url().unwrap_or_default();
                match reqwest::Url::parse(&base) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                    _ => {
                        return Err(bad(
                            &key,
                            format!("base_url `{}` is not an http(s) URL", redact_url(&base)),
                        ));
                    }
                }
            }
        }
        if let Some(var) = &p.api_key_env {
            if looks_like_a_key(var) {
                return Err(bad(
                    &key,
                    "api_key_env holds what looks like an API key itself (not shown here), not the NAME of an environment variable; put the key in a variable (export MY_KEY=…) and write api_key_env: MY_KEY. If that was a real key, revoke it: it is in a file"
                        .into(),
                ));
            }
            if !env_var_name(var) {
                return Err(bad(
                    &key,
                    "api_key_env must be the NAME of an environment variable ([A-Za-z_][A-Za-z0-9_]*), never the key"
                        .into(),
                ));
            }
        }
        let positive = |v: Option<f64>| v.is_none_or(|x| x.is_finite() && x > 0.0);
        if !positive(p.timeout_secs) || !positive(p.connect_timeout_secs) {
            return Err(bad(&key, "timeouts must be positive seconds".into()));
        }
        if p.concurrency == Some(0) {
            return Err(bad(&key, "concurrency must be at least 1".into()));
        }
        if p.max_tokens == Some(0) {
            return Err(bad(&key, "max_tokens must be at least 1".into()));
        }
        if p.backoff_base() > p.backoff_cap() {
            return Err(bad(
                &key,
                "backoff_base_ms must not exceed backoff_cap_ms".into(),
            ));
        }
    }
    let configured = || {
        r.config
            .providers
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    let check_route = |key: String, route: &Route| -> Result<(), ConfigError> {
        if !r.config.providers.contains_key(&route.provider) {
            return Err(bad(
                &key,
                format!(
                    "provider `{}` is not configured (configured: {}); add it under providers:",
                    route.provider,
                    if r.config.providers.is_empty() {
                        "none".into()
                    } else {
                        configured()
                    }
                ),
            ));
        }
        if route.model.trim().is_empty() {
            return Err(bad(&key, "model must not be empty".into()));
        }
        let cap = r.config.providers[&route.provider].max_tokens();
        match route.max_tokens {
            Some(0) => return Err(bad(&key, "max_tokens must be at least 1".into())),
            Some(n) if n > cap => {
                return Err(bad(
                    &key,
                    format!(
                        "max_tokens {n} is above providers.{}.max_tokens ({cap}), which caps every answer of that provider; raise that too",
                        route.provider
                    ),
                ))
            }
            _ => {}
        }
        Ok(())
    };
    for (name, route) in &r.config.categories {
        check_route(format!("categories.{name}"), route)?;
    }
    for (name, role) in &r.config.roles {
        if let RoleRoute::Direct(route) = role {
            check_route(format!("roles.{name}"), route)?;
        }
    }
    Ok(())
}

/// `url` as it may be shown (in `anneal config`, an error, a log): the user-info of its
/// authority (`https://user:key@host/…`, a place keys end up) replaced by `[redacted]`. Works on
/// text that does not parse as a URL too, so a malformed `base_url` is never echoed with its
/// credentials.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!(
            "{}[redacted]{}",
            &url[..authority_start],
            &url[authority_start + at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests;
