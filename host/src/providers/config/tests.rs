use super::*;

/// A temp world: an XDG dir, a repo root, helpers to write files. Never reads the real home.
struct World {
    _tmp: tempfile::TempDir,
    xdg: PathBuf,
    repo: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let xdg = tmp.path().join("xdg");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(xdg.join("anneal")).unwrap();
        std::fs::create_dir_all(repo.join(".anneal")).unwrap();
        World {
            _tmp: tmp,
            xdg,
            repo,
        }
    }
    fn user(&self, yaml: &str) -> PathBuf {
        let p = self.xdg.join("anneal/config.yaml");
        std::fs::write(&p, yaml).unwrap();
        p
    }
    fn project(&self, yaml: &str) -> PathBuf {
        let p = self.repo.join(".anneal/config.yaml");
        std::fs::write(&p, yaml).unwrap();
        p
    }
    fn explicit(&self, yaml: &str) -> PathBuf {
        let p = self.repo.join("custom.yaml");
        std::fs::write(&p, yaml).unwrap();
        p
    }
    fn inputs(&self) -> ResolveInputs {
        ResolveInputs {
            repo_root: Some(self.repo.clone()),
            xdg_config_dir: Some(self.xdg.clone()),
            env: EnvSource::map::<&str, &str>([]),
            ..ResolveInputs::default()
        }
    }
}

const EXAMPLE: &str = r#"
providers:
  claude:   { kind: anthropic, api_key_env: ANTHROPIC_API_KEY }
  openai:   { kind: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY, timeout_secs: 120, max_retries: 3, concurrency: 4 }
  ollama:   { kind: openai, base_url: http://localhost:11434/v1 }
  shell:    { kind: command, command: ["llm", "-m", "mymodel"], timeout_secs: 300 }
categories:
  ultrabrain: { provider: claude, model: claude-opus-4-1 }
  deep:       { provider: claude, model: claude-sonnet-4-5 }
  quick:      { provider: ollama, model: "qwen2.5-coder:7b" }
roles:
  momus: { category: ultrabrain }
  redteam-security: { provider: openai, model: gpt-4.1 }
budget: { max_spawns: 200, max_tokens: 2000000 }
"#;

#[test]
fn no_files_no_flags_is_empty() {
    let w = World::new();
    let r = resolve(&w.inputs()).unwrap();
    assert!(r.config.is_empty());
    assert!(r.files.is_empty());
    assert_eq!(r.config.route("momus", Category::Deep), None);
    assert!(r.render().contains("offline engine"));
}

#[test]
fn example_parses_routes_and_applies_defaults() {
    let w = World::new();
    let path = w.project(EXAMPLE);
    let r = resolve(&w.inputs()).unwrap();
    let c = &r.config;
    assert!(!c.is_empty());
    assert_eq!(c.providers.len(), 4);
    let route = |role: &str, cat| c.route(role, cat).unwrap();
    assert_eq!(route("momus", Category::Deep).model, "claude-opus-4-1");
    assert_eq!(
        route("redteam-security", Category::Quick),
        Route {
            provider: "openai".into(),
            model: "gpt-4.1".into(),
            max_tokens: None,
        }
    );
    assert_eq!(route("athena", Category::Quick).provider, "ollama");
    assert_eq!(route("athena", Category::Deep).model, "claude-sonnet-4-5");
    assert_eq!(c.budget.max_spawns, Some(200));
    assert_eq!(c.budget.max_tokens, Some(2_000_000));
    let claude = &c.providers["claude"];
    assert_eq!(claude.base_url().unwrap(), ANTHROPIC_BASE_URL);
    assert_eq!(claude.timeout(), Duration::from_secs(120));
    assert_eq!(claude.connect_timeout(), Duration::from_secs(10));
    assert_eq!(claude.max_retries(), 3);
    assert_eq!(claude.backoff_base(), Duration::from_millis(500));
    assert_eq!(claude.backoff_cap(), Duration::from_secs(30));
    assert_eq!(claude.concurrency(), 4);
    assert_eq!(claude.max_tokens(), 8192);
    assert_eq!(claude.json_mode(), JsonMode::Auto);
    assert_eq!(c.providers["ollama"].api_key_env(), None);
    assert_eq!(c.providers["shell"].timeout(), Duration::from_secs(300));
    assert_eq!(r.sources["providers.claude"], Source::File(path));
}

#[test]
fn layers_merge_per_entry_with_provenance() {
    let w = World::new();
    let user = w.user(
        "providers:\n  ollama: { kind: openai, base_url: http://localhost:11434/v1 }\n  claude: { kind: anthropic }\ncategories:\n  deep: { provider: ollama, model: llama3 }\n  quick: { provider: ollama, model: tiny }\nbudget: { max_spawns: 10, max_tokens: 5 }\n",
    );
    let project = w.project(
        "providers:\n  ollama: { kind: openai, base_url: http://gpu-box:11434/v1 }\ncategories:\n  deep: { provider: claude, model: claude-sonnet-4-5 }\nbudget: { max_spawns: 20 }\n",
    );
    let explicit = w.explicit("budget: { max_tokens: 99 }\n");
    let mut inputs = w.inputs();
    inputs.config_path = Some(explicit.clone());
    let r = resolve(&inputs).unwrap();
    assert_eq!(
        r.files,
        vec![user.clone(), project.clone(), explicit.clone()]
    );
    let c = &r.config;
    assert_eq!(
        c.providers["ollama"].base_url.as_deref(),
        Some("http://gpu-box:11434/v1")
    );
    assert_eq!(r.sources["providers.ollama"], Source::File(project.clone()));
    assert_eq!(r.sources["providers.claude"], Source::File(user.clone()));
    assert_eq!(c.categories["deep"].provider, "claude");
    assert_eq!(c.categories["quick"].model, "tiny");
    assert_eq!(r.sources["categories.quick"], Source::File(user.clone()));
    assert_eq!(c.budget.max_spawns, Some(20));
    assert_eq!(c.budget.max_tokens, Some(99));
    assert_eq!(
        r.sources["budget.max_tokens"],
        Source::File(explicit.clone())
    );
    // ultrabrain was missing: routed like deep, and render says so.
    assert_eq!(c.categories["ultrabrain"], c.categories["deep"]);
    let text = r.render();
    assert!(
        text.contains("ultrabrain: { provider: claude, model: claude-sonnet-4-5 }  # from fallback: ultrabrain not configured, routed like deep"),
        "{text}"
    );
    assert!(text.contains(&format!("# from {}", project.display())));
    assert!(text.contains("max_spawns: 20"));
}

#[test]
fn render_redacts_keys_and_reports_presence() {
    let w = World::new();
    w.project(EXAMPLE);
    let mut inputs = w.inputs();
    inputs.env = EnvSource::map([("ANTHROPIC_API_KEY", "sk-ant-very-secret")]);
    let r = resolve(&inputs).unwrap();
    let text = r.render();
    assert!(
        text.contains("api_key_env: $ANTHROPIC_API_KEY (set)"),
        "{text}"
    );
    assert!(
        text.contains("api_key_env: $OPENAI_API_KEY (not set)"),
        "{text}"
    );
    assert!(text.contains("api_key_env: none  # no key sent"), "{text}");
    assert!(text.contains("timeout_secs: 120  # default"), "{text}");
    assert!(
        text.contains(r#"command: ["llm","-m","mymodel"]"#),
        "{text}"
    );
    assert!(!text.contains("sk-ant-very-secret"));
    assert!(!format!("{r:?}").contains("sk-ant-very-secret"));
    assert!(!format!("{inputs:?}").contains("sk-ant-very-secret"));
}

#[test]
fn explicit_config_must_exist() {
    let w = World::new();
    let mut inputs = w.inputs();
    inputs.config_path = Some(w.repo.join("nope.yaml"));
    let err = resolve(&inputs).unwrap_err();
    assert!(matches!(err, ConfigError::NotFound { .. }));
    assert!(err.to_string().contains("nope.yaml"), "{err}");
}

#[test]
fn typos_and_unknown_kinds_name_file_and_line() {
    let w = World::new();
    let path = w.project("providers:\n  claude:\n    kind: anthropic\n    api_kee_env: X\n");
    let err = resolve(&w.inputs()).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(
        err.contains("api_kee_env") && err.contains("line 4"),
        "{err}"
    );

    w.project("providers:\n  x: { kind: gemini }\n");
    let err = resolve(&w.inputs()).unwrap_err().to_string();
    assert!(err.contains("gemini") && err.contains("line 2"), "{err}");

    w.project("categoriez: {}\n");
    let err = resolve(&w.inputs()).unwrap_err().to_string();
    assert!(err.contains("categoriez"), "{err}");
}

#[test]
fn empty_file_is_no_config() {
    let w = World::new();
    w.project("# nothing yet\n");
    let r = resolve(&w.inputs()).unwrap();
    assert!(r.config.is_empty());
    assert_eq!(r.files.len(), 1);
}

#[test]
fn invalid_entries_are_reported() {
    let w = World::new();
    let cases: &[(&str, &str)] = &[
        (
            "providers:\n  a: { kind: openai }\ncategories:\n  deep: { provider: b, model: m }\n",
            "provider `b` is not configured (configured: a)",
        ),
        (
            "providers:\n  s: { kind: command }\ncategories:\n  deep: { provider: s, model: m }\n",
            "needs command:",
        ),
        (
            "providers:\n  a: { kind: openai }\n",
            "deep: { provider: a, model: MODEL }",
        ),
        (
            "providers:\n  a: { kind: openai }\ncategories:\n  fast: { provider: a, model: m }\n",
            "unknown category",
        ),
        (
            "providers:\n  a: { kind: openai }\ncategories:\n  deep: { provider: a, model: m }\nroles:\n  momus: { category: deep, model: x }\n",
            "either { category: NAME }",
        ),
        (
            "providers:\n  a: { kind: openai, base_url: ftp://x }\ncategories:\n  deep: { provider: a, model: m }\n",
            "not an http(s) URL",
        ),
        (
            "providers:\n  a: { kind: openai, concurrency: 0 }\ncategories:\n  deep: { provider: a, model: m }\n",
            "concurrency must be at least 1",
        ),
        (
            "providers:\n  a: { kind: openai }\ncategories:\n  deep: { provider: a, model: m }\nroles:\n  momus: { provider: zz, model: m }\n",
            "roles.momus",
        ),
    ];
    for (yaml, want) in cases {
        w.project(yaml);
        let err = resolve(&w.inputs()).unwrap_err().to_string();
        assert!(err.contains(want), "{yaml}\n→ {err}");
    }
}

#[test]
fn provider_flag_without_config_creates_openai_from_env() {
    let w = World::new();
    let mut inputs = w.inputs();
    inputs.provider = Some("openai".into());
    inputs.model = Some("gpt-4.1-mini".into());
    inputs.env = EnvSource::map([("OPENAI_BASE_URL", "http://localhost:8000/v1")]);
    let r = resolve(&inputs).unwrap();
    let p = &r.config.providers["openai"];
    assert_eq!(p.kind, ProviderKind::Openai);
    assert_eq!(p.base_url.as_deref(), Some("http://localhost:8000/v1"));
    assert_eq!(p.api_key_env().as_deref(), Some("OPENAI_API_KEY"));
    for c in [Category::Ultrabrain, Category::Deep, Category::Quick] {
        assert_eq!(
            r.config.route("x", c).unwrap(),
            Route {
                provider: "openai".into(),
                model: "gpt-4.1-mini".into(),
                max_tokens: None,
            }
        );
    }
    let text = r.render();
    assert!(
        text.contains("# from --provider flag (base_url from $OPENAI_BASE_URL"),
        "{text}"
    );
    assert!(text.contains("$OPENAI_API_KEY (not set)"), "{text}");

    // Default base URL without the variable.
    inputs.env = EnvSource::map::<&str, &str>([]);
    let r = resolve(&inputs).unwrap();
    assert_eq!(
        r.config.providers["openai"].base_url.as_deref(),
        Some(OPENAI_BASE_URL)
    );
}

#[test]
fn provider_flag_anthropic_needs_a_model() {
    let w = World::new();
    let mut inputs = w.inputs();
    inputs.provider = Some("anthropic".into());
    let err = resolve(&inputs).unwrap_err().to_string();
    assert!(
        err.contains("--provider anthropic needs --model NAME"),
        "{err}"
    );
    inputs.model = Some("claude-sonnet-4-5".into());
    inputs.env = EnvSource::map([("ANTHROPIC_BASE_URL", "https://proxy.example/")]);
    let r = resolve(&inputs).unwrap();
    let p = &r.config.providers["anthropic"];
    assert_eq!(p.kind, ProviderKind::Anthropic);
    assert_eq!(p.base_url.as_deref(), Some("https://proxy.example/"));
    assert_eq!(p.api_key_env().as_deref(), Some("ANTHROPIC_API_KEY"));
}

#[test]
fn provider_flag_selects_a_configured_provider() {
    let w = World::new();
    w.project(EXAMPLE);
    let mut inputs = w.inputs();
    inputs.provider = Some("ollama".into());
    let r = resolve(&inputs).unwrap();
    for c in [Category::Ultrabrain, Category::Deep, Category::Quick] {
        assert_eq!(
            r.config.route("athena", c).unwrap().model,
            "qwen2.5-coder:7b"
        );
    }
    // The openai-direct role override is dropped; the category override stays.
    assert!(!r.config.roles.contains_key("redteam-security"));
    assert_eq!(
        r.config.route("momus", Category::Deep).unwrap().provider,
        "ollama"
    );
    assert!(r.render().contains("dropped role overrides"));

    inputs.model = Some("llama3".into());
    let r = resolve(&inputs).unwrap();
    assert_eq!(
        r.config.route("x", Category::Ultrabrain).unwrap().model,
        "llama3"
    );

    inputs.provider = Some("shell".into());
    inputs.model = None;
    let err = resolve(&inputs).unwrap_err().to_string();
    assert!(err.contains("pass --model NAME"), "{err}");

    inputs.provider = Some("gemini".into());
    let err = resolve(&inputs).unwrap_err().to_string();
    assert!(err.contains("claude, ollama, openai, shell"), "{err}");
}

#[test]
fn model_flag_alone() {
    let w = World::new();
    let mut inputs = w.inputs();
    inputs.model = Some("m".into());
    let err = resolve(&inputs).unwrap_err().to_string();
    assert!(err.contains("--provider"), "{err}");
    w.project(EXAMPLE);
    let r = resolve(&inputs).unwrap();
    assert!(r.config.categories.values().all(|rt| rt.model == "m"));
    assert_eq!(r.config.categories["quick"].provider, "ollama");
}

#[test]
fn xdg_config_home_from_env_is_used_when_no_override() {
    let w = World::new();
    w.user("budget: { max_spawns: 7 }\n");
    let mut inputs = w.inputs();
    inputs.xdg_config_dir = None;
    inputs.env = EnvSource::map([("XDG_CONFIG_HOME", w.xdg.to_str().unwrap())]);
    let r = resolve(&inputs).unwrap();
    assert_eq!(r.config.budget.max_spawns, Some(7));
}

#[test]
fn a_key_pasted_where_a_variable_name_belongs_is_refused_without_echoing_it() {
    for key in [
        "sk-proj-Abc123def456ghi789jkl",
        "sk-ant-api03-XyZ987",
        "AIzaSyD-abcdefghijklmnop1234",
        "3f2a9c0b7d4e4f1a8b6c2d9e0f1a2b3c",
        "abc+def/ghi=",
    ] {
        let w = World::new();
        w.project(&format!(
            "providers:\n  o: {{ kind: openai, base_url: http://localhost:1/v1, api_key_env: \"{key}\" }}\ncategories:\n  deep: {{ provider: o, model: m }}\n"
        ));
        let e = resolve(&w.inputs()).unwrap_err().to_string();
        assert!(!e.contains(key), "the key is echoed: {e}");
        assert!(e.contains("api_key_env"), "{e}");
    }
    // Real variable names pass, whatever their case.
    for name in [
        "OPENAI_API_KEY",
        "my_staging_openai_api_key_for_cluster_2",
        "KEY2",
    ] {
        let w = World::new();
        w.project(&format!(
            "providers:\n  o: {{ kind: openai, base_url: http://localhost:1/v1, api_key_env: {name} }}\ncategories:\n  deep: {{ provider: o, model: m }}\n"
        ));
        resolve(&w.inputs()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn user_info_in_a_base_url_is_redacted_in_the_rendered_configuration_and_in_errors() {
    let w = World::new();
    w.project("providers:\n  o: { kind: openai, base_url: \"https://bob:sk-live-secret@example.com/v1\" }\ncategories:\n  deep: { provider: o, model: m }\n");
    let text = resolve(&w.inputs()).unwrap().render();
    assert!(
        !text.contains("sk-live-secret") && !text.contains("bob"),
        "{text}"
    );
    assert!(
        text.contains("base_url: https://[redacted]@example.com/v1"),
        "{text}"
    );
    let w = World::new();
    w.project("providers:\n  o: { kind: openai, base_url: \"ftp://bob:sk-live-secret@example.com\" }\ncategories:\n  deep: { provider: o, model: m }\n");
    let e = resolve(&w.inputs()).unwrap_err().to_string();
    assert!(!e.contains("sk-live-secret"), "{e}");
}

#[test]
fn a_category_max_tokens_is_bounded_by_its_providers_and_shown() {
    let w = World::new();
    w.project("providers:\n  o: { kind: openai, base_url: http://localhost:1/v1, max_tokens: 4000 }\ncategories:\n  deep: { provider: o, model: m, max_tokens: 2000 }\n");
    let r = resolve(&w.inputs()).unwrap();
    assert_eq!(r.config.categories["deep"].max_tokens, Some(2000));
    assert!(r.render().contains("max_tokens: 2000 }"), "{}", r.render());
    let w = World::new();
    w.project("providers:\n  o: { kind: openai, base_url: http://localhost:1/v1, max_tokens: 4000 }\ncategories:\n  deep: { provider: o, model: m, max_tokens: 9000 }\n");
    let e = resolve(&w.inputs()).unwrap_err().to_string();
    assert!(e.contains("above providers.o.max_tokens (4000)"), "{e}");
}

#[test]
fn the_deadline_for_agent_calls_is_read_and_shown() {
    let w = World::new();
    w.project("budget: { deadline_secs: 900 }\n");
    let r = resolve(&w.inputs()).unwrap();
    assert_eq!(r.config.budget.deadline_secs, Some(900));
    assert!(r.render().contains("deadline_secs: 900"), "{}", r.render());
}

#[test]
fn user_info_in_urls_is_redacted_even_when_the_url_does_not_parse() {
    assert_eq!(
        redact_url("https://bob:sk-live-123@api.example.com/v1?x=1"),
        "https://[redacted]@api.example.com/v1?x=1"
    );
    assert_eq!(
        redact_url("http://sk-live-123@[::1"),
        "http://[redacted]@[::1"
    );
    assert_eq!(
        redact_url("http://localhost:11434/v1/a@b"),
        "http://localhost:11434/v1/a@b"
    );
    assert_eq!(redact_url("not a url"), "not a url");
}
