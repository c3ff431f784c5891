//! `flint kernel install`: the kernelspec Jupyter finds the kernel by.

use std::path::{Path, PathBuf};

/// Where to install, as `jupyter kernelspec install` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The user's Jupyter data directory (`~/.local/share/jupyter` on Linux, or `$JUPYTER_DATA_DIR`).
    User,
    /// The active Python environment's (`$VIRTUAL_ENV`, or `sys.prefix` of `python3`).
    SysPrefix,
    /// `<dir>/share/jupyter`.
    Prefix(PathBuf),
}

/// The kernel's name in Jupyter.
pub const KERNEL_NAME: &str = "flint";

fn python_prefix() -> std::io::Result<PathBuf> {
    if let Some(env) = std::env::var_os("VIRTUAL_ENV") {
        return Ok(PathBuf::from(env));
    }
    let python = std::env::var_os("FLINT_PYTHON").unwrap_or_else(|| "python3".into());
    let out = std::process::Command::new(python).args(["-c", "import sys; print(sys.prefix)"]).output()?;
    if !out.status.success() {
        return Err(std::io::Error::other("python3 could not tell its sys.prefix"));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The `kernels/` directory of a destination.
pub fn kernels_dir(destination: &Destination) -> std::io::Result<PathBuf> {
    let data = match destination {
        Destination::User => match std::env::var_os("JUPYTER_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let home = std::env::var_os("HOME").ok_or_else(|| std::io::Error::other("HOME is not set"))?;
                PathBuf::from(home).join(".local/share/jupyter")
            }
        },
        Destination::SysPrefix => python_prefix()?.join("share/jupyter"),
        Destination::Prefix(dir) => dir.join("share/jupyter"),
    };
    Ok(data.join("kernels"))
}

/// The `kernel.json` of a kernel run by `program`: Jupyter starts `program kernel run --connection-file <file>`
/// and interrupts it with a message on the control channel (the engine stops the running job cooperatively).
pub fn kernel_json(program: &Path) -> serde_json::Value {
    serde_json::json!({
        "argv": [program.display().to_string(), "kernel", "run", "--connection-file", "{connection_file}"],
        "display_name": "Flint (Rust)",
        "language": "rust",
        "interrupt_mode": "message",
        "metadata": { "debugger": false }
    })
}

/// Writes the kernelspec (atomically: a staging directory renamed into place) and returns its directory.
pub fn install(destination: &Destination, program: &Path) -> std::io::Result<PathBuf> {
    let kernels = kernels_dir(destination)?;
    std::fs::create_dir_all(&kernels)?;
    let target = kernels.join(KERNEL_NAME);
    let staging = kernels.join(format!(".{KERNEL_NAME}.installing-{}", std::process::id()));
    std::fs::create_dir_all(&staging)?;
    let spec = serde_json::to_vec_pretty(&kernel_json(program)).map_err(std::io::Error::other)?;
    std::fs::write(staging.join("kernel.json"), spec)?;
    std::fs::write(staging.join("logo-svg.svg"), LOGO_SVG)?;
    if target.exists() {
        std::fs::remove_dir_all(&target)?;
    }
    std::fs::rename(&staging, &target)?;
    Ok(target)
}

/// A flint (a spark over a stone), for the launcher.
const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path d="M12 44 L28 14 L52 22 L46 50 Z" fill="#5b6770"/><path d="M40 8 l3 8 8 3 -8 3 -3 8 -3 -8 -8 -3 8 -3z" fill="#f28c28"/></svg>"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_runs_this_program_with_the_connection_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let installed =
            install(&Destination::Prefix(dir.path().to_path_buf()), Path::new("/opt/flint")).expect("install");
        assert_eq!(installed, dir.path().join("share/jupyter/kernels/flint"));
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(installed.join("kernel.json")).expect("read")).expect("json");
        assert_eq!(spec["argv"][0], "/opt/flint");
        assert_eq!(spec["argv"][4], "{connection_file}");
        assert_eq!(spec["interrupt_mode"], "message");
        assert!(installed.join("logo-svg.svg").exists());
    }
}
