//! Frameworks and key libraries, from declared dependencies only (a framework the manifests do
//! not declare is not reported). Names are the package names users know them by
//! (`actix-web`, `fastapi`, `spring-boot`), sorted and de-duplicated.

use super::deps::{Dependency, Ecosystem};

const CARGO: &[&str] = &[
    "actix-web",
    "axum",
    "rocket",
    "warp",
    "poem",
    "tide",
    "hyper",
    "tonic",
    "tower",
    "tokio",
    "async-std",
    "clap",
    "serde",
    "wasmtime",
    "wasmer",
    "diesel",
    "sqlx",
    "sea-orm",
    "tauri",
    "bevy",
    "leptos",
    "yew",
    "dioxus",
    "tracing",
    "reqwest",
    "rayon",
];

const NPM: &[(&str, &str)] = &[
    ("express", "express"),
    ("fastify", "fastify"),
    ("koa", "koa"),
    ("hono", "hono"),
    ("@nestjs/core", "nestjs"),
    ("next", "next"),
    ("nuxt", "nuxt"),
    ("react", "react"),
    ("vue", "vue"),
    ("svelte", "svelte"),
    ("@sveltejs/kit", "sveltekit"),
    ("@angular/core", "angular"),
    ("@remix-run/react", "remix"),
    ("astro", "astro"),
    ("electron", "electron"),
    ("vite", "vite"),
    ("jest", "jest"),
    ("vitest", "vitest"),
    ("mocha", "mocha"),
    ("prisma", "prisma"),
    ("@prisma/client", "prisma"),
    ("typeorm", "typeorm"),
    ("sequelize", "sequelize"),
    ("graphql", "graphql"),
];

const PYTHON: &[&str] = &[
    "django",
    "flask",
    "fastapi",
    "starlette",
    "uvicorn",
    "gunicorn",
    "pydantic",
    "sqlalchemy",
    "alembic",
    "celery",
    "aiohttp",
    "tornado",
    "pytest",
    "djangorestframework",
    "streamlit",
    "pandas",
    "numpy",
    "torch",
    "tensorflow",
];

const GO: &[(&str, &str)] = &[
    ("github.com/gin-gonic/gin", "gin"),
    ("github.com/labstack/echo", "echo"),
    ("github.com/gofiber/fiber", "fiber"),
    ("github.com/go-chi/chi", "chi"),
    ("github.com/gorilla/mux", "gorilla-mux"),
    ("github.com/spf13/cobra", "cobra"),
    ("google.golang.org/grpc", "grpc"),
    ("gorm.io/gorm", "gorm"),
];

const JVM: &[(&str, &str)] = &[
    ("spring-boot", "spring-boot"),
    ("quarkus", "quarkus"),
    ("micronaut", "micronaut"),
    ("ktor", "ktor"),
    ("junit", "junit"),
    ("hibernate", "hibernate"),
];

const RUBY: &[&str] = &["rails", "sinatra", "hanami", "rspec", "sidekiq"];

const PHP: &[(&str, &str)] = &[
    ("laravel/framework", "laravel"),
    ("symfony/framework-bundle", "symfony"),
    ("slim/slim", "slim"),
    ("phpunit/phpunit", "phpunit"),
];

const ELIXIR: &[&str] = &["phoenix", "ecto", "oban"];

/// The framework a dependency is, if it is one the probe knows.
pub fn for_dependency(d: &Dependency) -> Option<&'static str> {
    let n = d.name.as_str();
    let exact = |list: &'static [&'static str]| list.iter().find(|x| **x == n).copied();
    let mapped = |list: &'static [(&'static str, &'static str)]| {
        list.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)
    };
    match d.eco {
        Ecosystem::Cargo => exact(CARGO),
        Ecosystem::Npm => mapped(NPM),
        Ecosystem::Python => exact(PYTHON),
        Ecosystem::Go => {
            let n = n.to_ascii_lowercase();
            GO.iter().find(|(p, _)| n.starts_with(p)).map(|(_, v)| *v)
        }
        Ecosystem::Jvm => JVM.iter().find(|(p, _)| n.starts_with(p)).map(|(_, v)| *v),
        Ecosystem::Ruby => exact(RUBY),
        Ecosystem::Php => mapped(PHP),
        Ecosystem::Elixir => exact(ELIXIR),
    }
}

/// The frameworks among `deps`, sorted and de-duplicated.
pub fn detect(deps: &[Dependency]) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> = deps.iter().filter_map(for_dependency).collect();
    set.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frameworks_from_dependencies() {
        let dep = |eco, name: &str| Dependency {
            eco,
            name: name.into(),
            features: vec![],
            source: "x".into(),
        };
        let deps = [
            dep(Ecosystem::Python, "fastapi"),
            dep(Ecosystem::Python, "psycopg"),
            dep(Ecosystem::Cargo, "axum"),
            dep(Ecosystem::Go, "github.com/gin-gonic/gin"),
            dep(Ecosystem::Jvm, "spring-boot-starter-web"),
            dep(Ecosystem::Npm, "@nestjs/core"),
            dep(Ecosystem::Cargo, "axum"),
        ];
        assert_eq!(
            detect(&deps),
            ["axum", "fastapi", "gin", "nestjs", "spring-boot"]
        );
    }
}
