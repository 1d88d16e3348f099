//! `hello [--name NAME]`: prints a greeting.
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match hello::parse_args(&args) {
        Ok(name) => {
            println!("{}", hello::greeting(name.as_deref()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hello: {e}");
            ExitCode::from(2)
        }
    }
}
