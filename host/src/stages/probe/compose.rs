//! Docker Compose files, parsed with `serde_yaml`: the images of their services and the names of
//! the environment variables they set or interpolate (values are never kept).

use std::sync::LazyLock;

use regex::Regex;
use serde_yaml::Value;

/// What the probe needs from one compose file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compose {
    /// `(service key, image)` for every service with an `image:`, in file order.
    pub images: Vec<(String, String)>,
    /// Environment variable names: `environment:` keys (map or `KEY=value` list form) of every
    /// service and `${NAME}` / `${NAME:-default}` interpolations anywhere in the file.
    pub env_names: Vec<String>,
}

/// Parses a compose file; `None` when it is not valid YAML or has no `services:` mapping.
pub fn parse(text: &str) -> Option<Compose> {
    let doc: Value = serde_yaml::from_str(text).ok()?;
    let services = doc.get("services")?.as_mapping()?;
    let mut out = Compose::default();
    for (key, service) in services {
        let key = key.as_str().unwrap_or_default().to_string();
        if let Some(image) = service.get("image").and_then(Value::as_str) {
            out.images.push((key, image.to_string()));
        }
        match service.get("environment") {
            Some(Value::Mapping(m)) => out
                .env_names
                .extend(m.keys().filter_map(|k| k.as_str().map(str::to_string))),
            Some(Value::Sequence(items)) => out.env_names.extend(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| s.split('=').next().unwrap_or(s).trim().to_string()),
            ),
            _ => {}
        }
    }
    static INTERPOLATION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)").unwrap());
    out.env_names
        .extend(INTERPOLATION.captures_iter(text).map(|c| c[1].to_string()));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_environment_names() {
        let c = parse(
            "services:\n  app:\n    build: .\n    environment:\n      DATABASE_URL: postgresql://app:app@db/app\n      JWT_SECRET: ${JWT_SECRET:-dev}\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_PASSWORD=app\n  cache:\n    image: docker.io/library/redis:7-alpine\n",
        )
        .unwrap();
        assert_eq!(
            c.images,
            [
                ("db".to_string(), "postgres:16".to_string()),
                (
                    "cache".to_string(),
                    "docker.io/library/redis:7-alpine".to_string()
                )
            ]
        );
        assert_eq!(
            c.env_names,
            [
                "DATABASE_URL",
                "JWT_SECRET",
                "POSTGRES_PASSWORD",
                "JWT_SECRET"
            ]
        );
        assert_eq!(parse("not: [valid"), None);
        assert_eq!(parse("version: '3'\n"), None);
    }
}
