//! The binary end to end.
use std::process::Command;

fn hello(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(args)
        .output()
        .expect("the hello binary runs")
}

#[test]
fn prints_the_greeting() {
    let out = hello(&["--name", "Ada"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, Ada!\n");
}

#[test]
fn a_bad_argument_is_a_usage_error() {
    let out = hello(&["--loud"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: hello"));
}
