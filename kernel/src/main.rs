//! `flint`: the command-line front of Flint (the Jupyter kernel comes with issue 4).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") | Some("version") => {
            println!("flint {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: flint version\n\nThe notebook kernel (`flint kernel …`) and `flint run` are not built yet."
            );
            ExitCode::from(2)
        }
    }
}
