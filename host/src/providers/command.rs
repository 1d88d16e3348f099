//! External command provider (docs/design.md §7): runs the configured argv directly (no shell), writes the
//! prompt to its stdin and takes the answer from its stdout. The prompt is plain text: the system
//! prompt, then each turn under a `### User` / `### Assistant` heading. An argv element equal to
//! `{model}` is replaced by the routed model, which is also in the child's `ANNEAL_MODEL`
//! variable. The call is killed at `timeout_secs` (the child is killed on drop); a non-zero exit
//! is an error quoting a bounded stderr excerpt. Every configured key variable is removed from the
//! child's environment (docs/design.md §3: secrets never reach what anneal runs). No retries. Token usage
//! is *estimated* as characters / 4 (commands report none).

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::config::{ConfigError, ProviderConfig};
use super::http::excerpt;
use super::{ChatRequest, ChatResponse, ChatRole, Provider, ProviderError, Usage};

/// An external command.
pub struct CommandProvider {
    name: String,
    argv: Vec<String>,
    timeout: Duration,
    scrub: Vec<String>,
    limit: Arc<Semaphore>,
}

impl CommandProvider {
    /// Builds provider `name`; `scrub` lists the environment variables removed from the child
    /// (every configured `api_key_env`). Errors: no `command` or an empty program.
    pub fn new(
        name: &str,
        cfg: &ProviderConfig,
        scrub: Vec<String>,
    ) -> Result<CommandProvider, ConfigError> {
        let argv = cfg
            .command
            .clone()
            .filter(|c| c.first().is_some_and(|p| !p.trim().is_empty()))
            .ok_or_else(|| ConfigError::Invalid {
                at: format!("providers.{name}"),
                message: "a command provider needs command: [PROGRAM, ARG…] (argv, no shell)"
                    .into(),
            })?;
        Ok(CommandProvider {
            name: name.to_string(),
            argv,
            timeout: cfg.timeout(),
            scrub,
            limit: Arc::new(Semaphore::new(cfg.concurrency() as usize)),
        })
    }

    async fn call(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let _permit = self.limit.acquire().await.expect("semaphore never closed");
        let prompt = render_prompt(req);
        let program = self.argv[0].clone();
        let fail = |detail: String| ProviderError::Command {
            provider: self.name.clone(),
            program: program.clone(),
            detail,
        };
        let mut cmd = tokio::process::Command::new(&program);
        cmd.args(self.argv[1..].iter().map(|a| {
            if a == "{model}" {
                req.model.as_str()
            } else {
                a.as_str()
            }
        }))
        .env("ANNEAL_MODEL", &req.model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
        for var in &self.scrub {
            cmd.env_remove(var);
        }
        let mut child = cmd.spawn().map_err(|e| {
            fail(format!(
                "cannot start ({e}); check command: in the config (the program must be on PATH)"
            ))
        })?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = prompt.clone();
        // Written concurrently with reading the output so a large prompt cannot deadlock; a
        // command that ignores stdin (broken pipe) is not an error.
        let writer = tokio::spawn(async move {
            let _ = stdin.write_all(input.as_bytes()).await;
            let _ = stdin.shutdown().await;
        });
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(fail(format!("failed while running ({e})"))),
            Err(_) => {
                writer.abort();
                return Err(ProviderError::Timeout {
                    provider: self.name.clone(),
                    target: format!("command `{program}`"),
                    timeout_secs: self.timeout.as_secs_f64(),
                    attempts: 1,
                });
            }
        };
        let _ = writer.await;
        if !output.status.success() {
            let stderr = excerpt(&String::from_utf8_lossy(&output.stderr), None);
            return Err(fail(format!(
                "exited with {} (stderr: {}); run it by hand with the prompt on stdin to see why",
                output.status,
                if stderr.is_empty() { "empty" } else { &stderr }
            )));
        }
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if text.trim().is_empty() {
            return Err(ProviderError::Malformed {
                provider: self.name.clone(),
                target: format!("command `{program}`"),
                attempts: 1,
                detail: "the command printed nothing on stdout".into(),
                excerpt: excerpt(&String::from_utf8_lossy(&output.stderr), None),
            });
        }
        Ok(ChatResponse {
            usage: Usage {
                input_tokens: estimate_tokens(&prompt),
                output_tokens: estimate_tokens(&text),
            },
            text,
            model: req.model.clone(),
            attempts: 1,
            stop: super::Stop::Done,
        })
    }
}

/// Estimated tokens of `text`: characters / 4, rounded up (commands report no usage).
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// The plain-text prompt a command reads on stdin: the system prompt, then every turn under a
/// `### User` / `### Assistant` heading.
pub fn render_prompt(req: &ChatRequest) -> String {
    let mut out = String::new();
    if !req.system.is_empty() {
        out.push_str(req.system.trim_end());
        out.push_str("\n\n");
    }
    for m in &req.messages {
        out.push_str(match m.role {
            ChatRole::User => "### User\n",
            ChatRole::Assistant => "### Assistant\n",
        });
        out.push_str(m.content.trim_end());
        out.push_str("\n\n");
    }
    out
}

impl Provider for CommandProvider {
    fn name(&self) -> &str {
        &self.name
    }
    fn complete<'a>(
        &'a self,
        req: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(self.call(req))
    }
}
