//! Declared dependencies, read from the manifests with real parsers (`toml`, `serde_json`) or,
//! for line-oriented formats (`requirements.txt`, `go.mod`, `Gemfile`, Gradle, Maven), with
//! anchored regular expressions. Frameworks and services are derived from these.

use std::sync::LazyLock;

use regex::Regex;

use super::manifests::{Kind, Manifest};

/// The package ecosystem a dependency belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ecosystem {
    /// crates.io.
    Cargo,
    /// npm.
    Npm,
    /// PyPI.
    Python,
    /// Go modules.
    Go,
    /// Maven / Gradle (artifact ids).
    Jvm,
    /// RubyGems.
    Ruby,
    /// Packagist.
    Php,
    /// Hex.
    Elixir,
}

/// One declared dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// Ecosystem.
    pub eco: Ecosystem,
    /// Normalised name: lowercase; PyPI names with `_`/`.` folded to `-`; Go module paths as
    /// written; JVM artifact ids without group.
    pub name: String,
    /// Cargo features enabled on the dependency (empty elsewhere).
    pub features: Vec<String>,
    /// Repository-relative manifest path that declares it.
    pub source: String,
}

/// The dependencies a manifest declares (empty for manifest kinds that declare none or when the
/// manifest cannot be parsed).
pub fn declared(m: &Manifest) -> Vec<Dependency> {
    let Some(text) = m.text.as_deref() else {
        return Vec::new();
    };
    let named = |eco, names: Vec<String>| -> Vec<Dependency> {
        names
            .into_iter()
            .map(|name| Dependency {
                eco,
                name,
                features: Vec::new(),
                source: m.rel.clone(),
            })
            .collect()
    };
    match m.kind {
        Kind::Cargo => cargo(text, &m.rel),
        Kind::Npm => named(Ecosystem::Npm, json_keys(text, NPM_SECTIONS)),
        Kind::Composer => named(Ecosystem::Php, json_keys(text, &["require", "require-dev"])),
        Kind::Pyproject => named(Ecosystem::Python, pyproject(text)),
        Kind::Pipfile => named(Ecosystem::Python, pipfile(text)),
        Kind::Requirements => named(Ecosystem::Python, requirements(text)),
        Kind::SetupPy => named(Ecosystem::Python, setup_py(text)),
        Kind::GoMod => named(Ecosystem::Go, go_mod(text)),
        Kind::Maven => named(Ecosystem::Jvm, maven(text)),
        Kind::Gradle => named(Ecosystem::Jvm, gradle(text)),
        Kind::Gemfile => named(Ecosystem::Ruby, gemfile(text)),
        Kind::Mix => named(Ecosystem::Elixir, mix(text)),
        _ => Vec::new(),
    }
}

const NPM_SECTIONS: &[&str] = &[
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

fn cargo(text: &str, source: &str) -> Vec<Dependency> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut tables: Vec<&toml::Table> = Vec::new();
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        tables.extend(doc.get(key).and_then(|v| v.as_table()));
    }
    if let Some(ws) = doc.get("workspace").and_then(|v| v.as_table()) {
        tables.extend(ws.get("dependencies").and_then(|v| v.as_table()));
    }
    if let Some(targets) = doc.get("target").and_then(|v| v.as_table()) {
        for t in targets.values().filter_map(|v| v.as_table()) {
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                tables.extend(t.get(key).and_then(|v| v.as_table()));
            }
        }
    }
    let mut out = Vec::new();
    for table in tables {
        for (key, value) in table {
            let spec = value.as_table();
            let name = spec
                .and_then(|t| t.get("package"))
                .and_then(|p| p.as_str())
                .unwrap_or(key);
            let features = spec
                .and_then(|t| t.get("features"))
                .and_then(|f| f.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Dependency {
                eco: Ecosystem::Cargo,
                name: name.to_ascii_lowercase(),
                features,
                source: source.to_string(),
            });
        }
    }
    out
}

fn json_keys(text: &str, sections: &[&str]) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    sections
        .iter()
        .filter_map(|s| doc.get(*s).and_then(|v| v.as_object()))
        .flat_map(|o| o.keys().map(|k| k.to_ascii_lowercase()))
        .collect()
}

/// The distribution name of a PEP 508 requirement (`psycopg[binary]>=3.1` → `psycopg`),
/// normalised per PEP 503 (lowercase, runs of `-_.` become `-`).
pub fn pep508_name(req: &str) -> Option<String> {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)").unwrap());
    let name = NAME.captures(req)?.get(1)?.as_str();
    static SEP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[-_.]+").unwrap());
    Some(
        SEP.replace_all(&name.to_ascii_lowercase(), "-")
            .into_owned(),
    )
}

fn pyproject(text: &str) -> Vec<String> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut reqs: Vec<String> = Vec::new();
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let project = doc.get("project");
    reqs.extend(strings(project.and_then(|p| p.get("dependencies"))));
    let tables_of_lists = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_table())
            .map(|t| t.values().flat_map(|l| strings(Some(l))).collect())
            .unwrap_or_default()
    };
    reqs.extend(tables_of_lists(
        project.and_then(|p| p.get("optional-dependencies")),
    ));
    reqs.extend(tables_of_lists(doc.get("dependency-groups")));
    let tool = doc.get("tool");
    reqs.extend(tables_of_lists(
        tool.and_then(|t| t.get("pdm"))
            .and_then(|p| p.get("dev-dependencies")),
    ));
    reqs.extend(strings(
        tool.and_then(|t| t.get("uv"))
            .and_then(|u| u.get("dev-dependencies")),
    ));
    let mut names: Vec<String> = reqs.iter().filter_map(|r| pep508_name(r)).collect();
    // Poetry declares dependencies as table keys.
    if let Some(poetry) = tool.and_then(|t| t.get("poetry")) {
        let mut keys = |v: Option<&toml::Value>| {
            if let Some(t) = v.and_then(|v| v.as_table()) {
                names.extend(
                    t.keys()
                        .filter(|k| k.as_str() != "python")
                        .filter_map(|k| pep508_name(k)),
                );
            }
        };
        keys(poetry.get("dependencies"));
        keys(poetry.get("dev-dependencies"));
        if let Some(groups) = poetry.get("group").and_then(|g| g.as_table()) {
            for g in groups.values() {
                keys(g.get("dependencies"));
            }
        }
    }
    names
}

fn pipfile(text: &str) -> Vec<String> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    ["packages", "dev-packages"]
        .iter()
        .filter_map(|s| doc.get(*s).and_then(|v| v.as_table()))
        .flat_map(|t| t.keys().filter_map(|k| pep508_name(k)))
        .collect()
}

fn requirements(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('-') && !l.contains("://"))
        .filter_map(pep508_name)
        .collect()
}

fn setup_py(text: &str) -> Vec<String> {
    static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?s)(?:install_requires|tests_require|setup_requires|extras_require)\s*=\s*[\[{](.*?)[\]}]")
            .unwrap()
    });
    static QUOTED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"["']([^"']+)["']"#).unwrap());
    BLOCK
        .captures_iter(text)
        .flat_map(|c| {
            QUOTED
                .captures_iter(c.get(1).map_or("", |m| m.as_str()))
                .filter_map(|q| pep508_name(&q[1]))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn go_mod(text: &str) -> Vec<String> {
    static REQ: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^\s*(?:require\s+)?([a-z0-9][A-Za-z0-9._~/-]*\.[a-z]+/[A-Za-z0-9._~/-]+)\s+v[0-9]").unwrap()
    });
    REQ.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// The `artifactId` of every `<dependency>` (wherever it is declared: dependencies,
/// dependency management, profiles, plugins) and of the project's `<parent>`, lowercased, in
/// document order. Read with an XML parser, so commented-out dependencies and the `artifactId`
/// of an `<exclusion>` are not dependencies; a malformed file gives what was read before the
/// error.
fn maven(text: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let n = path.len();
                let declares = n >= 2
                    && path[n - 1] == "artifactId"
                    && (path[n - 2] == "dependency"
                        || (path[n - 2] == "parent" && n == 3 && path[0] == "project"));
                if declares {
                    if let Ok(t) = t.decode() {
                        let t = t.trim();
                        if !t.is_empty() {
                            out.push(t.to_ascii_lowercase());
                        }
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

fn gradle(text: &str) -> Vec<String> {
    static COORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?m)^\s*(?:implementation|api|compileOnly|runtimeOnly|testImplementation|testRuntimeOnly|annotationProcessor|kapt|ksp|developmentOnly)\s*\(?\s*(?:platform\()?["']([^:"']+):([^:"']+)"#).unwrap()
    });
    static PLUGIN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?m)^\s*id\s*\(?\s*["']([A-Za-z0-9._-]+)["']"#).unwrap());
    let mut out: Vec<String> = COORD
        .captures_iter(text)
        .map(|c| c[2].to_ascii_lowercase())
        .collect();
    out.extend(PLUGIN.captures_iter(text).filter_map(|c| match &c[1] {
        "org.springframework.boot" => Some("spring-boot".to_string()),
        "io.quarkus" => Some("quarkus".to_string()),
        "io.micronaut.application" => Some("micronaut".to_string()),
        "io.ktor.plugin" => Some("ktor".to_string()),
        _ => None,
    }));
    out
}

fn gemfile(text: &str) -> Vec<String> {
    static GEM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?m)^\s*gem\s+["']([A-Za-z0-9._-]+)["']"#).unwrap());
    GEM.captures_iter(text)
        .map(|c| c[1].to_ascii_lowercase())
        .collect()
}

fn mix(text: &str) -> Vec<String> {
    static DEP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\s*:([a-z0-9_]+)\s*,").unwrap());
    DEP.captures_iter(text).map(|c| c[1].to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(kind: Kind, text: &str) -> Vec<String> {
        let m = Manifest {
            rel: "x".into(),
            kind,
            text: Some(text.into()),
        };
        declared(&m).into_iter().map(|d| d.name).collect()
    }

    #[test]
    fn cargo_tables_renames_and_features() {
        let m = Manifest {
            rel: "Cargo.toml".into(),
            kind: Kind::Cargo,
            text: Some(
                "[package]\nname='x'\n[dependencies]\nserde = '1'\npg = { package = 'tokio-postgres', version = '0.7' }\nsqlx = { version = '0.8', features = ['postgres'] }\n[dev-dependencies]\ntempfile = '3'\n[workspace.dependencies]\naxum = '0.8'\n"
                    .into(),
            ),
        };
        let d = declared(&m);
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        // Keys of one table in name order (`pg` renames `tokio-postgres`).
        assert_eq!(
            names,
            ["tokio-postgres", "serde", "sqlx", "tempfile", "axum"]
        );
        assert_eq!(d[2].features, ["postgres"]);
    }

    #[test]
    fn python_manifests() {
        assert_eq!(
            deps(
                Kind::Pyproject,
                "[project]\ndependencies = ['FastAPI>=0.110', 'psycopg[binary]>=3.1', 'typing_extensions']\n[project.optional-dependencies]\ndev = ['pytest>=8']\n"
            ),
            ["fastapi", "psycopg", "typing-extensions", "pytest"]
        );
        assert_eq!(
            deps(
                Kind::Pyproject,
                "[tool.poetry.dependencies]\npython = '^3.11'\nDjango = '^5'\n[tool.poetry.group.dev.dependencies]\npytest = '*'\n"
            ),
            ["django", "pytest"]
        );
        assert_eq!(
            deps(
                Kind::Requirements,
                "# deps\nflask==3.0\n-r base.txt\nredis>=5 ; python_version>'3'\n"
            ),
            ["flask", "redis"]
        );
        assert_eq!(
            deps(
                Kind::SetupPy,
                "setup(name='x', install_requires=['requests>=2', \"celery\"])"
            ),
            ["requests", "celery"]
        );
    }

    #[test]
    fn other_ecosystems() {
        assert_eq!(
            deps(
                Kind::Npm,
                r#"{"dependencies":{"express":"^4"},"devDependencies":{"jest":"^29"}}"#
            ),
            ["express", "jest"]
        );
        assert_eq!(
            deps(
                Kind::GoMod,
                "module x\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.5.0\n)\n"
            ),
            ["github.com/gin-gonic/gin", "github.com/jackc/pgx/v5"]
        );
        assert_eq!(
            deps(
                Kind::Gemfile,
                "source 'https://rubygems.org'\ngem 'rails', '~> 7'\ngem \"pg\"\n"
            ),
            ["rails", "pg"]
        );
        assert_eq!(
            deps(
                Kind::Maven,
                "<project><dependencies><dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency></dependencies></project>"
            ),
            ["postgresql"]
        );
        // A real pom: namespaces, the parent, an exclusion and a commented-out dependency.
        let pom = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
  </parent>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
      <exclusions>
        <exclusion><artifactId>spring-boot-starter-tomcat</artifactId></exclusion>
      </exclusions>
    </dependency>
    <!-- <dependency><artifactId>jedis</artifactId></dependency> -->
    <dependency><artifactId>Kafka-Clients</artifactId></dependency>
  </dependencies>
</project>"#;
        assert_eq!(
            deps(Kind::Maven, pom),
            [
                "spring-boot-starter-parent",
                "spring-boot-starter-web",
                "kafka-clients"
            ]
        );
        // A truncated file keeps what was read.
        assert_eq!(
            deps(Kind::Maven, "<project><dependencies><dependency><artifactId>redis</artifactId></dependency><dependency><artifact"),
            ["redis"]
        );
        assert_eq!(
            deps(
                Kind::Gradle,
                "plugins {\n  id 'org.springframework.boot' version '3'\n}\ndependencies {\n  implementation 'redis.clients:jedis:5.0'\n}\n"
            ),
            ["jedis", "spring-boot"]
        );
    }
}
