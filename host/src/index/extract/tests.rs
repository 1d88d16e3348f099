use super::*;

fn entry(path: &str, src: &str) -> FileEntry {
    let lang = Lang::of_path(path).expect("a supported language");
    extract(path, lang, src, "h".into(), &Limits::default(), None).expect("extracts")
}

/// `(name, kind, scope)` of every definition.
fn defs(e: &FileEntry) -> Vec<(String, SymbolKind, Option<String>)> {
    e.definitions
        .iter()
        .map(|d| (d.name.clone(), d.kind, d.scope.clone()))
        .collect()
}

fn has(e: &FileEntry, name: &str, kind: SymbolKind, scope: Option<&str>) {
    assert!(
        e.definitions
            .iter()
            .any(|d| d.name == name && d.kind == kind && d.scope.as_deref() == scope),
        "{name} {kind:?} in {scope:?}: {:#?}",
        defs(e)
    );
}

fn uses(e: &FileEntry, name: &str) -> bool {
    e.references.iter().any(|r| r.name == name)
}

const RUST: &str = r#"use crate::ast::{self, ErrorKind};
use super::parse::Parser;

/// The kinds of errors.
pub enum ErrorKind {
    RepetitionCountInvalid,
    RepetitionCountUnclosed { pos: usize },
}

pub const MAX_REPEAT: u32 = 1000;

pub struct Config {
    #[arg(long)]
    dry_run: bool,
    #[arg(long = "max-count")]
    count: u32,
}

pub trait Visitor {
    fn visit(&mut self, e: &ErrorKind) -> bool;
}

impl Config {
    pub fn parse_counted_repetition(
        &self,
        input: &str,
    ) -> Result<u32, ErrorKind> {
        let cmd = clap::Arg::new("json").long("json");
        let s = "--verbose";
        Parser::new().run(input).map_err(|_| ErrorKind::RepetitionCountInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses() {
        assert!(Config { dry_run: false, count: 1 }.parse_counted_repetition("x").is_ok());
    }
}
"#;

#[test]
fn rust_definitions_scopes_signatures() {
    let e = entry("src/ast/mod.rs", RUST);
    has(&e, "ErrorKind", SymbolKind::Enum, None);
    has(
        &e,
        "RepetitionCountInvalid",
        SymbolKind::EnumVariant,
        Some("ErrorKind"),
    );
    has(
        &e,
        "RepetitionCountUnclosed",
        SymbolKind::EnumVariant,
        Some("ErrorKind"),
    );
    has(&e, "MAX_REPEAT", SymbolKind::Constant, None);
    has(&e, "Config", SymbolKind::Type, None);
    has(&e, "dry_run", SymbolKind::Field, Some("Config"));
    has(&e, "Visitor", SymbolKind::Trait, None);
    has(&e, "visit", SymbolKind::Method, Some("Visitor"));
    has(
        &e,
        "parse_counted_repetition",
        SymbolKind::Method,
        Some("Config"),
    );
    has(&e, "tests", SymbolKind::Module, None);
    has(&e, "parses", SymbolKind::Function, Some("tests"));
    let f = e
        .definitions
        .iter()
        .find(|d| d.name == "parse_counted_repetition")
        .unwrap();
    assert_eq!(
        f.signature.as_deref(),
        Some("pub fn parse_counted_repetition( &self, input: &str, ) -> Result<u32, ErrorKind>")
    );
    assert_eq!((f.line_start, f.line_end), (24, 31));
    let en = e
        .definitions
        .iter()
        .find(|d| d.name == "ErrorKind")
        .unwrap();
    assert_eq!(en.signature.as_deref(), Some("pub enum ErrorKind"));
    assert_eq!(e.test_modules.len(), 1);
    assert_eq!(e.test_modules[0].name, "tests");
    assert!(!e.test_modules[0].external);
    assert_eq!(
        e.imports,
        [
            "crate::ast::{self, ErrorKind}",
            "super::parse::Parser",
            "super::*"
        ]
    );
    assert!(uses(&e, "run") && uses(&e, "Parser") && uses(&e, "RepetitionCountInvalid"));
    assert!(!e.is_test);
}

#[test]
fn rust_flags_from_literals_builders_and_derive() {
    let e = entry("src/cli.rs", RUST);
    for (flag, scope) in [
        ("--verbose", Some("Config::parse_counted_repetition")),
        ("--json", Some("Config::parse_counted_repetition")),
        ("--dry-run", Some("Config")),
        ("--max-count", Some("Config")),
    ] {
        has(&e, flag, SymbolKind::Flag, scope);
    }
}

#[test]
fn flags_in_tests_are_not_declarations() {
    let src = "pub fn cli() -> &'static str { \"--real\" }\n#[cfg(test)]\nmod tests {\n    fn t() { run(&[\"--json\"]); }\n}\n";
    let e = entry("src/cli.rs", src);
    has(&e, "--real", SymbolKind::Flag, Some("cli"));
    assert!(
        !e.definitions.iter().any(|d| d.name == "--json"),
        "{:?}",
        defs(&e)
    );
    let t = entry("tests/cli.rs", "fn t() { run(&[\"--json\"]); }\n");
    assert!(!t.definitions.iter().any(|d| d.kind == SymbolKind::Flag));
}

#[test]
fn rust_external_test_module_and_cfg_test_file() {
    let e = entry(
        "src/stages/mod.rs",
        "pub fn f() {}\n#[cfg(test)]\nmod tests;\n",
    );
    assert_eq!(e.test_modules.len(), 1);
    assert!(e.test_modules[0].external);
    let t = entry("src/x.rs", "#![cfg(test)]\nfn t() {}\n");
    assert!(t.is_test);
}

#[test]
fn python() {
    let src = r#"import os
from .models import User, Session as S
from app.auth import login

TIMEOUT = 30

class Color(Enum):
    RED = 1
    GREEN = 2

class RateLimiter(Base):
    window = 60

    def __init__(self, limit):
        self.limit = limit

    @property
    def remaining(self) -> int:
        return check_quota(self.limit)

def build_parser():
    p = argparse.ArgumentParser()
    p.add_argument("--max-retries", type=int)
    return p
"#;
    let e = entry("app/limits.py", src);
    has(&e, "TIMEOUT", SymbolKind::Constant, None);
    has(&e, "Color", SymbolKind::Class, None);
    has(&e, "RED", SymbolKind::EnumVariant, Some("Color"));
    has(&e, "RateLimiter", SymbolKind::Class, None);
    has(&e, "window", SymbolKind::Field, Some("RateLimiter"));
    has(&e, "__init__", SymbolKind::Method, Some("RateLimiter"));
    has(&e, "remaining", SymbolKind::Method, Some("RateLimiter"));
    has(&e, "build_parser", SymbolKind::Function, None);
    has(&e, "--max-retries", SymbolKind::Flag, Some("build_parser"));
    let r = e
        .definitions
        .iter()
        .find(|d| d.name == "remaining")
        .unwrap();
    assert_eq!(r.signature.as_deref(), Some("def remaining(self) -> int"));
    assert_eq!(e.imports, ["os", ".models", "app.auth"]);
    assert!(uses(&e, "check_quota") && uses(&e, "Base") && uses(&e, "User"));
}

#[test]
fn javascript() {
    let src = r#"const { parse } = require('./parse-options');
import { helper } from "../lib/helper.js";

const DEFAULT_PORT = 8080;

class Command extends EventEmitter {
  option(flags) { return this._parseOptionsEnv(flags); }
  _parseOptionsEnv(x) { return x; }
}

function program() {
  return new Command().option('-j, --json', 'output JSON');
}

export const run = async (argv) => program().parse(argv);
"#;
    let e = entry("lib/command.js", src);
    has(&e, "DEFAULT_PORT", SymbolKind::Constant, None);
    has(&e, "Command", SymbolKind::Class, None);
    has(&e, "_parseOptionsEnv", SymbolKind::Method, Some("Command"));
    has(&e, "option", SymbolKind::Method, Some("Command"));
    has(&e, "program", SymbolKind::Function, None);
    has(&e, "run", SymbolKind::Function, None);
    has(&e, "--json", SymbolKind::Flag, Some("program"));
    assert_eq!(e.imports, ["./parse-options", "../lib/helper.js"]);
    assert!(uses(&e, "EventEmitter") && uses(&e, "helper") && uses(&e, "parse"));
}

#[test]
fn typescript_and_tsx() {
    let src = r#"import { Router } from './router';

export interface Handler { handle(req: Request): Response; name: string; }
export type Middleware = (h: Handler) => Handler;
export enum Level { Debug, Info = 2 }

export abstract class Base implements Handler {
  abstract handle(req: Request): Response;
  name = "base";
}

export function compose(...m: Middleware[]): Middleware { return m[0]; }
"#;
    for path in ["src/app.ts", "src/app.tsx"] {
        let e = entry(path, src);
        has(&e, "Handler", SymbolKind::Trait, None);
        has(&e, "handle", SymbolKind::Method, Some("Handler"));
        has(&e, "Middleware", SymbolKind::Type, None);
        has(&e, "Level", SymbolKind::Enum, None);
        has(&e, "Debug", SymbolKind::EnumVariant, Some("Level"));
        has(&e, "Info", SymbolKind::EnumVariant, Some("Level"));
        has(&e, "Base", SymbolKind::Class, None);
        has(&e, "compose", SymbolKind::Function, None);
        assert_eq!(e.imports, ["./router"]);
        assert!(uses(&e, "Request") && uses(&e, "Router"));
    }
}

#[test]
fn go() {
    let src = r#"package pflag

import (
	"fmt"
	"github.com/spf13/pflag/internal/strs"
)

const DefaultWidth = 80

type Flag struct {
	Name      string
	Shorthand string
}

type Value interface {
	String() string
	Set(string) error
}

func (f *FlagSet) ShorthandLookup(name string) *Flag {
	return f.lookup(strs.Normalize(name))
}

func init() {
	flag.Bool("dry-run", false, "do nothing")
	fmt.Println("--verbose")
}
"#;
    let e = entry("flag.go", src);
    has(&e, "DefaultWidth", SymbolKind::Constant, None);
    has(&e, "Flag", SymbolKind::Type, None);
    has(&e, "Shorthand", SymbolKind::Field, Some("Flag"));
    has(&e, "Value", SymbolKind::Trait, None);
    has(&e, "Set", SymbolKind::Method, Some("Value"));
    has(&e, "ShorthandLookup", SymbolKind::Method, None);
    has(&e, "--dry-run", SymbolKind::Flag, Some("init"));
    has(&e, "--verbose", SymbolKind::Flag, Some("init"));
    let m = e
        .definitions
        .iter()
        .find(|d| d.name == "ShorthandLookup")
        .unwrap();
    assert_eq!(
        m.signature.as_deref(),
        Some("func (f *FlagSet) ShorthandLookup(name string) *Flag")
    );
    assert_eq!(e.imports, ["fmt", "github.com/spf13/pflag/internal/strs"]);
    assert!(uses(&e, "Normalize") && uses(&e, "FlagSet"));
}

#[test]
fn java() {
    let src = r#"package com.acme.cli;

import com.acme.core.Engine;
import java.util.*;

public class Main extends Base implements Runnable {
    public static final int MAX = 3;
    private String name;

    enum Mode { FAST, SLOW }

    @Override
    public void run() {
        new Engine().start("--threads");
    }
}
"#;
    let e = entry("src/main/java/com/acme/cli/Main.java", src);
    has(&e, "Main", SymbolKind::Class, None);
    has(&e, "MAX", SymbolKind::Constant, Some("Main"));
    has(&e, "name", SymbolKind::Field, Some("Main"));
    has(&e, "Mode", SymbolKind::Enum, Some("Main"));
    has(&e, "FAST", SymbolKind::EnumVariant, Some("Main.Mode"));
    has(&e, "run", SymbolKind::Method, Some("Main"));
    has(&e, "--threads", SymbolKind::Flag, Some("Main.run"));
    assert_eq!(e.imports, ["com.acme.core.Engine", "java.util"]);
    assert!(uses(&e, "Engine") && uses(&e, "start") && uses(&e, "Base"));
}

#[test]
fn per_file_bounds_truncate_and_count() {
    let src: String = (0..50).map(|i| format!("fn f{i}() {{}}\n")).collect();
    let limits = Limits {
        max_definitions_per_file: 10,
        ..Limits::default()
    };
    let e = extract("src/x.rs", Lang::Rust, &src, "h".into(), &limits, None).unwrap();
    assert_eq!(e.definitions.len(), 10);
    assert_eq!(e.truncated, 40);
}

#[test]
fn cancelled_parse_is_a_time_budget_skip() {
    let flag = AtomicUsize::new(1);
    let src: String = (0..2000)
        .map(|i| format!("fn f{i}() {{ g{i}(); }}\n"))
        .collect();
    let r = extract(
        "src/x.rs",
        Lang::Rust,
        &src,
        "h".into(),
        &Limits::default(),
        Some(&flag),
    );
    assert_eq!(r.unwrap_err(), "time budget spent");
}
