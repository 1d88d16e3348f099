//! Continuous-integration configuration files, at their conventional places from the repository
//! root: GitHub Actions (`.github/workflows/*.yml|yaml`), Gitea/Forgejo workflows, GitLab CI,
//! CircleCI, Jenkins, Azure Pipelines, Travis, Bitbucket, Drone, Woodpecker, Buildkite,
//! AppVeyor, Google Cloud Build, and a `.ci/` directory of scripts (`.ci/run`).

use std::collections::BTreeSet;

const ROOT_FILES: &[&str] = &[
    ".gitlab-ci.yml",
    ".circleci/config.yml",
    ".circleci/config.yaml",
    "Jenkinsfile",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    ".travis.yml",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    ".woodpecker.yml",
    ".buildkite/pipeline.yml",
    "appveyor.yml",
    ".appveyor.yml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
];

const WORKFLOW_DIRS: &[&str] = &[
    ".github/workflows/",
    ".gitea/workflows/",
    ".forgejo/workflows/",
    ".woodpecker/",
];

/// The CI files among `files` (repository-relative paths), sorted.
pub fn detect(files: &BTreeSet<String>) -> Vec<String> {
    files
        .iter()
        .filter(|f| {
            ROOT_FILES.contains(&f.as_str())
                || f.starts_with(".ci/") && f.matches('/').count() == 1
                || WORKFLOW_DIRS.iter().any(|d| {
                    f.strip_prefix(d).is_some_and(|rest| {
                        !rest.contains('/') && (rest.ends_with(".yml") || rest.ends_with(".yaml"))
                    })
                })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_files() {
        let files: BTreeSet<String> = [
            ".github/workflows/ci.yml",
            ".github/workflows/README.md",
            ".github/dependabot.yml",
            ".gitlab-ci.yml",
            ".ci/run",
            "Jenkinsfile",
            "sub/.gitlab-ci.yml",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            detect(&files),
            [
                ".ci/run",
                ".github/workflows/ci.yml",
                ".gitlab-ci.yml",
                "Jenkinsfile"
            ]
        );
    }
}
