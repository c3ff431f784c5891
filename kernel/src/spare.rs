//! Spare kernels: a kernel process started ahead of its notebook, so that the notebook's first cell does not wait
//! for the prelude and rust-analyzer's first pass over the engine's crate graph (about 23 s on two cores: evcxr
//! runs rust-analyzer single-threaded, in every kernel, and gives no way to share its analysis).
//!
//! Every kernel that starts serving starts one spare for the next kernel (`flint kernel spare`: its own process
//! group, so that Jupyter's kill of a kernel's group spares it; its output appended to `spare/spare.log` under the
//! kernel home), unless a spare is already waiting. The spare loads the prelude, runs two warm-up cells, and waits
//! on a Unix socket. `flint kernel run` connects to it and hands it the connection file and its working directory;
//! the spare binds the sockets and serves, while the launcher stays alive as the process Jupyter started and
//! watches: it exits with the spare's exit code when the spare's kernel stops, and the spare's kernel stops when its
//! launcher dies (Jupyter's kill). A spare nobody takes exits after `FLINT_KERNEL_SPARE_IDLE` seconds (default
//! 900), and so does one whose prelude failed.
//! `FLINT_KERNEL_SPARE=0` turns spares off.
//!
//! A launcher takes only a spare of its own key: the same `flint` binary, slot and kernel home, and the same
//! environment apart from Jupyter's per-kernel variables (`JPY_*`), the shell's (`PWD`, `OLDPWD`, `SHLVL`, `_`) and
//! those the kernel's sanitising removes. A spare starts without the `JPY_*` variables (they named the notebook of
//! the kernel that started it), so its notebook does not see them. A spare-served kernel's own messages (not its
//! cells' output) go to the spares' log. A spare costs memory while it waits (its rust-analyzer database and the
//! engine loaded in its child: 2 to 3 GB).

use crate::slot::{self, KernelHome, SlotError, SlotKey};
use crossbeam_channel::{Receiver, select};
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a launcher waits for a spare to answer it.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// How long a spare may take to warm up before its idle clock starts anyway.
const WARM_UP_ALLOWANCE: Duration = Duration::from_secs(600);

/// Variables a kernel process has that a spare must not inherit from the kernel that starts it.
const KERNEL_OWN: [&str; 2] = [slot::SANITISED, "EVCXR_CONFIG_DIR"];

/// Whether kernels start spares (`FLINT_KERNEL_SPARE`, on unless `0`).
pub fn enabled() -> bool {
    std::env::var_os("FLINT_KERNEL_SPARE").is_none_or(|v| v != "0")
}

/// How long a spare nobody takes waits (`FLINT_KERNEL_SPARE_IDLE` seconds, default 900).
fn idle_limit() -> Duration {
    let seconds = std::env::var("FLINT_KERNEL_SPARE_IDLE").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(900.0);
    // `inf` or a huge number: a day is as good as forever for a waiting process.
    Duration::try_from_secs_f64(seconds.clamp(0.0, 86_400.0)).unwrap_or(Duration::from_secs(900))
}

/// Whether a variable is left out of the environment a spare must share with its launcher.
fn per_launch(key: &std::ffi::OsStr) -> bool {
    let name = key.to_string_lossy();
    name.starts_with("JPY_")
        || ["PWD", "OLDPWD", "SHLVL", "_"].contains(&name.as_ref())
        || KERNEL_OWN.contains(&name.as_ref())
        || slot::sanitised_away(key)
}

/// Whether the variable is the `RUSTUP_TOOLCHAIN` a kernel process sets to the kernels' toolchain (its launcher
/// has none).
fn kernel_toolchain(home: &KernelHome, name: &std::ffi::OsStr, value: &std::ffi::OsStr) -> bool {
    name == "RUSTUP_TOOLCHAIN" && home.is_toolchain(Some(value))
}

/// The key of the spare this process may take or be: a hash of the slot's key, this binary (path and modification
/// time), the kernel home and the environment.
pub fn key(home: &KernelHome, source: &Path) -> Result<String, SlotError> {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&SlotKey::current(source)?).unwrap_or_default());
    let program = std::env::current_exe().map_err(|source| SlotError::Io { path: "flint".into(), source })?;
    let modified = std::fs::metadata(&program).and_then(|m| m.modified()).ok();
    hasher.update(format!("{}\0{modified:?}\0{}\0", program.display(), home.spare_dir().display()));
    let mut vars: Vec<(OsString, OsString)> =
        std::env::vars_os().filter(|(k, v)| !per_launch(k) && !kernel_toolchain(home, k, v)).collect();
    vars.sort();
    for (name, value) in vars {
        hasher.update(name.as_encoded_bytes());
        hasher.update([0]);
        hasher.update(value.as_encoded_bytes());
        hasher.update([0]);
    }
    Ok(hex::encode(hasher.finalize())[..16].to_string())
}

/// The files of the spare of `key`: its socket, lock and ready marker.
fn paths(home: &KernelHome, key: &str) -> [PathBuf; 3] {
    let dir = home.spare_dir();
    ["sock", "lock", "ready"].map(|ext| dir.join(format!("{key}.{ext}")))
}

/// A launcher's end of a spare it took: the spare's kernel serves the connection.
#[derive(Debug)]
pub struct Taken {
    stream: UnixStream,
    /// The spare's process id.
    pub pid: u32,
}

impl Taken {
    /// Waits until the spare's kernel stops; its exit code (1 if it died without one).
    pub fn wait(self) -> u8 {
        let mut code = 1;
        for line in BufReader::new(self.stream).lines() {
            match line.ok().as_deref().and_then(|l| l.strip_prefix("exit ")).and_then(|c| c.parse().ok()) {
                Some(c) => code = c,
                None => break,
            }
        }
        code
    }
}

/// Hands the connection file to the waiting spare of `key`, if there is one and it takes it. Paths that are not
/// UTF-8 or hold a newline go to a fresh kernel (the spare's control line could not carry them).
pub fn take(home: &KernelHome, key: &str, connection_file: &Path) -> Option<Taken> {
    let [socket, ..] = paths(home, key);
    let cwd = std::env::current_dir().ok()?;
    let connection_file = cwd.join(connection_file);
    let (file, dir) = (connection_file.to_str()?, cwd.to_str()?);
    if file.contains('\n') || dir.contains('\n') {
        return None;
    }
    let stream = UnixStream::connect(&socket).ok()?;
    let request = serde_json::json!({"connection_file": file, "cwd": dir});
    let mut writer = &stream;
    writeln!(writer, "{request}").ok()?;
    stream.set_read_timeout(Some(ANSWER_WAIT)).ok()?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).ok()?;
    let pid = answer.trim_end().strip_prefix("taken ")?.parse().ok()?;
    stream.set_read_timeout(None).ok()?;
    Some(Taken { stream, pid })
}

/// A spare waiting for its launcher: it holds the key's lock and listens on its socket.
#[derive(Debug)]
pub struct Spare {
    paths: [PathBuf; 3],
    _lock: File,
    listener: UnixListener,
    /// The inode of the socket file this spare bound, so that it never deletes another spare's.
    socket_inode: u64,
}

/// What a launcher handed to the spare.
#[derive(Debug)]
pub struct Handoff {
    /// The connection file to serve.
    pub connection_file: PathBuf,
    /// The launcher's working directory: the notebook's folder.
    pub cwd: PathBuf,
    stream: UnixStream,
    /// Set when the kernel stopped: the launcher's exit is then expected.
    finished: Arc<AtomicBool>,
}

/// Whether a spare of `key` is waiting (its lock is held).
pub fn waiting(home: &KernelHome, key: &str) -> bool {
    let [_, lock, _] = paths(home, key);
    File::open(&lock).is_ok_and(|f| f.try_lock().is_err())
}

impl Spare {
    /// Becomes the spare of `key`, or `None` when another process is.
    pub fn claim(home: &KernelHome, key: &str) -> Result<Option<Spare>, SlotError> {
        let dir = home.spare_dir();
        std::fs::create_dir_all(&dir).map_err(|source| SlotError::Io { path: dir.display().to_string(), source })?;
        let paths = paths(home, key);
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| SlotError::Io { path, source }
        };
        let lock = File::options().create(true).truncate(false).write(true).open(&paths[1]).map_err(io(&paths[1]))?;
        if lock.try_lock().is_err() {
            return Ok(None);
        }
        // A lock on a file another process deleted meanwhile (see `remove_old_locks`) guards nothing.
        let inode = |m: std::fs::Metadata| m.ino();
        if lock.metadata().map(inode).ok() != std::fs::metadata(&paths[1]).map(inode).ok() {
            return Ok(None);
        }
        let _ = lock.set_modified(std::time::SystemTime::now());
        remove_old_locks(&dir, &paths[1]);
        // A socket file left by a spare that died: the lock says no spare of this key is alive.
        let _ = std::fs::remove_file(&paths[0]);
        let _ = std::fs::remove_file(&paths[2]);
        let listener = UnixListener::bind(&paths[0]).map_err(io(&paths[0]))?;
        let socket_inode = std::fs::metadata(&paths[0]).map(inode).map_err(io(&paths[0]))?;
        Ok(Some(Spare { paths, _lock: lock, listener, socket_inode }))
    }

    /// Deletes this spare's socket and ready marker, if they are still its own.
    fn leave(&self) {
        let ours = std::fs::metadata(&self.paths[0]).is_ok_and(|m| m.ino() == self.socket_inode);
        if ours {
            let _ = std::fs::remove_file(&self.paths[2]);
            let _ = std::fs::remove_file(&self.paths[0]);
        }
    }

    /// Waits for a launcher. `warmed` says when the warm-up is done and whether the prelude loaded: the spare then
    /// marks itself ready (its process id in the marker) and from then on waits at most the idle limit; a spare
    /// whose prelude failed (or whose executor is gone) gives up at once. `None` when the spare is not to be used.
    pub fn wait(self, warmed: Receiver<bool>) -> Option<Handoff> {
        self.wait_at_most(warmed, idle_limit())
    }

    fn wait_at_most(self, warmed: Receiver<bool>, idle: Duration) -> Option<Handoff> {
        let (arrived, launchers) = crossbeam_channel::unbounded();
        let listener = self.listener.try_clone().ok()?;
        let _ = std::thread::Builder::new().name("flint-spare".into()).spawn(move || {
            for stream in listener.incoming().flatten() {
                if arrived.send(stream).is_err() {
                    return;
                }
            }
        });
        // Before the warm-up ends, a launcher may still take the spare; the idle clock starts when it is ready.
        let mut deadline = Instant::now() + idle + WARM_UP_ALLOWANCE;
        let mut ready = false;
        let never = crossbeam_channel::never();
        loop {
            select! {
                recv(if ready { &never } else { &warmed }) -> loaded => {
                    if loaded != Ok(true) {
                        return None;
                    }
                    let _ = std::fs::write(&self.paths[2], std::process::id().to_string());
                    (ready, deadline) = (true, Instant::now() + idle);
                }
                recv(launchers) -> stream => match stream.ok().and_then(|s| self.accept(s)) {
                    Some(handoff) => return Some(handoff),
                    None => continue,
                },
                default(deadline.saturating_duration_since(Instant::now())) => return None,
            }
        }
    }

    /// Reads a launcher's request and answers it; `None` if the request is not one.
    fn accept(&self, stream: UnixStream) -> Option<Handoff> {
        stream.set_read_timeout(Some(ANSWER_WAIT)).ok()?;
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).ok()?;
        let request: serde_json::Value = serde_json::from_str(&line).ok()?;
        let path = |name: &str| request.get(name).and_then(|v| v.as_str()).map(PathBuf::from);
        let (connection_file, cwd) = (path("connection_file")?, path("cwd")?);
        let mut writer = &stream;
        writeln!(writer, "taken {}", std::process::id()).ok()?;
        stream.set_read_timeout(None).ok()?;
        // No second launcher may find the socket once this one has the spare.
        self.leave();
        Some(Handoff { connection_file, cwd, stream, finished: Arc::default() })
    }
}

/// Deletes the lock files of keys no spare has claimed for a day (a claim touches its lock; every rebuild of
/// `flint` makes a new key).
fn remove_old_locks(dir: &Path, own: &Path) {
    const DAY: Duration = Duration::from_secs(24 * 3600);
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        let old = std::fs::metadata(&path).and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|e| e > DAY));
        if path != own
            && old
            && path.extension().is_some_and(|e| e == "lock")
            && File::open(&path).is_ok_and(|f| f.try_lock().is_ok())
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        // The lock file stays: a claim checks that the file it locked is still the key's.
        self.leave();
    }
}

impl Handoff {
    /// Calls `gone` on another thread when the launcher dies (Jupyter killed the kernel it started) before the
    /// kernel stopped.
    pub fn watch_launcher(&self, gone: impl FnOnce() + Send + 'static) {
        let Ok(stream) = self.stream.try_clone() else { return };
        let finished = self.finished.clone();
        let _ = std::thread::Builder::new().name("flint-launcher".into()).spawn(move || {
            let mut buffer = [0u8; 64];
            while matches!(std::io::Read::read(&mut &stream, &mut buffer), Ok(n) if n > 0) {}
            if !finished.load(Ordering::SeqCst) {
                gone();
            }
        });
    }

    /// Tells the launcher the kernel stopped, with its exit code.
    pub fn finish(self, code: u8) {
        self.finished.store(true, Ordering::SeqCst);
        let mut writer = &self.stream;
        let _ = writeln!(writer, "exit {code}");
    }
}

/// Starts a spare for the next kernel, detached from this one, unless spares are off. Its output goes to the spares'
/// log.
pub fn start(home: &KernelHome) {
    use std::os::unix::process::CommandExt;
    if !enabled() {
        return;
    }
    let dir = home.spare_dir();
    let log = std::fs::create_dir_all(&dir)
        .and_then(|()| File::options().create(true).append(true).open(dir.join("spare.log")));
    let (Ok(program), Ok(log)) = (std::env::current_exe(), log) else { return };
    let Ok(err) = log.try_clone() else { return };
    let mut command = std::process::Command::new(program);
    // Not this kernel's folder, which its notebook's user may delete (evcxr reads `evcxr.toml` from it at start).
    command.args(["kernel", "spare"]).current_dir(&dir);
    for (name, value) in std::env::vars_os() {
        if KERNEL_OWN.contains(&name.to_string_lossy().as_ref())
            || name.to_string_lossy().starts_with("JPY_")
            || kernel_toolchain(home, &name, &value)
        {
            command.env_remove(name);
        }
    }
    command.stdin(std::process::Stdio::null()).stdout(log).stderr(err).process_group(0);
    match command.spawn() {
        // Reaped on a thread of its own, so that a spare that exits early is no zombie of this kernel.
        Ok(mut child) => {
            drop(std::thread::Builder::new().name("flint-spare-reaper".into()).spawn(move || child.wait()))
        }
        Err(e) => eprintln!("flint kernel: cannot start a spare kernel: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_launcher_hands_its_connection_to_the_one_spare_of_its_key_and_gets_its_exit_code() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = KernelHome::at(dir.path().to_path_buf());
        let spare = Spare::claim(&home, "k1").expect("claim").expect("the first claim of a key wins");
        assert!(Spare::claim(&home, "k1").expect("claim").is_none(), "one spare per key");
        assert!(waiting(&home, "k1") && !waiting(&home, "k2"));
        assert!(take(&home, "k2", Path::new("other.json")).is_none(), "no spare of that key");

        let (warmed, warm) = crossbeam_channel::bounded(1);
        let waiter = std::thread::spawn(move || spare.wait(warm));
        warmed.send(true).expect("the spare waits");
        let ready = dir.path().join("spare/k1.ready");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(ready.exists(), "a warmed spare marks itself ready");

        let taken = take(&home, "k1", Path::new("kernel-1.json")).expect("the spare takes the connection");
        assert_eq!(taken.pid, std::process::id());
        let handoff = waiter.join().expect("the spare's thread").expect("a handoff");
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!((handoff.connection_file.clone(), handoff.cwd.clone()), (cwd.join("kernel-1.json"), cwd));
        assert!(!ready.exists() && !dir.path().join("spare/k1.sock").exists(), "a taken spare is gone from the folder");
        assert!(!waiting(&home, "k1"), "the next spare of the key may start");
        assert!(take(&home, "k1", Path::new("kernel-2.json")).is_none(), "a spare serves one kernel");

        let launcher = std::thread::spawn(move || taken.wait());
        handoff.finish(3);
        assert_eq!(launcher.join().expect("the launcher's thread"), 3);
    }

    #[test]
    fn a_spare_nobody_takes_exits_after_the_idle_limit_and_leaves_its_key_free() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = KernelHome::at(dir.path().to_path_buf());
        let spare = Spare::claim(&home, "k").expect("claim").expect("a spare");
        let (warmed, warm) = crossbeam_channel::bounded(1);
        warmed.send(true).expect("warm");
        // FLINT_KERNEL_SPARE_IDLE is not set in unit tests: the default limit applies, so wait on a short copy.
        let started = Instant::now();
        let handoff = spare.wait_at_most(warm, Duration::from_millis(200));
        assert!(handoff.is_none() && started.elapsed() >= Duration::from_millis(200));
        assert!(!waiting(&home, "k") && !dir.path().join("spare/k.sock").exists());
    }

    #[test]
    fn a_spare_whose_prelude_failed_is_never_handed_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = KernelHome::at(dir.path().to_path_buf());
        let spare = Spare::claim(&home, "k").expect("claim").expect("a spare");
        let (warmed, warm) = crossbeam_channel::bounded(1);
        warmed.send(false).expect("failed");
        assert!(spare.wait_at_most(warm, Duration::from_secs(3600)).is_none());
        assert!(take(&home, "k", Path::new("kernel.json")).is_none() && !waiting(&home, "k"));
    }
}
