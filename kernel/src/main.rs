//! `flint`: the command-line front of Flint.
//!
//! ```text
//! flint version
//! flint kernel install [--user | --sys-prefix | --prefix DIR]
//! flint kernel run --connection-file FILE
//! ```

use flint_kernel::install::{self, Destination};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  flint version
  flint kernel install [--user | --sys-prefix | --prefix DIR]   write the Jupyter kernelspec (default --user)
  flint kernel run --connection-file FILE                      serve a Jupyter connection (Jupyter runs this)";

fn usage_error(message: &str) -> ExitCode {
    eprintln!("flint: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

fn kernel(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("install") => {
            let destination = match &args[1..] {
                [] => Destination::User,
                [flag] if flag == "--user" => Destination::User,
                [flag] if flag == "--sys-prefix" => Destination::SysPrefix,
                [flag, dir] if flag == "--prefix" => Destination::Prefix(PathBuf::from(dir)),
                _ => return usage_error("kernel install takes --user, --sys-prefix or --prefix DIR"),
            };
            let program = match std::env::current_exe() {
                Ok(p) => p,
                Err(e) => return usage_error(&format!("cannot find this program's path: {e}")),
            };
            match install::install(&destination, &program) {
                Ok(dir) => {
                    println!("installed the Flint kernelspec in {}", dir.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("flint: installing the kernelspec: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("run") => {
            let file = match &args[1..] {
                [flag, file] if flag == "--connection-file" || flag == "-f" => PathBuf::from(file),
                _ => return usage_error("kernel run takes --connection-file FILE"),
            };
            match flint_kernel::server::run(&file) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("flint kernel: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => usage_error("unknown kernel command"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") | Some("version") => {
            println!("flint {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("kernel") => kernel(&args[1..]),
        _ => usage_error("unknown command"),
    }
}
