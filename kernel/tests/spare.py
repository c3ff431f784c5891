"""Spare kernels through a real Jupyter client: a kernel starts a spare for the next one; the next kernel Jupyter
starts is served by that spare, with its own working directory, no variable of the warm-up, and a working engine;
it starts the next spare; a normal shutdown ends launcher and spare with code 0; killing the launcher (Jupyter's
forced shutdown) ends the spare's kernel too.

    python kernel/tests/spare.py path/to/flint      (kernel/tests/spare.rs runs it)
"""
import glob
import os
import subprocess
import sys
import tempfile
import time
import uuid

from jupyter_client import KernelManager

from protocol import execute, result_text


def spare_dir():
    home = os.environ.get("FLINT_KERNEL_HOME") or os.path.join(os.environ["HOME"], ".cache", "flint", "kernel")
    return os.path.join(home, "spare")


def ready_spares(tag):
    """The process ids of the waiting spares whose environment holds `tag` (`NAME=value`): a ready marker holds its
    spare's pid."""
    found = set()
    for path in glob.glob(os.path.join(spare_dir(), "*.ready")):
        try:
            with open(path) as marker:
                pid = int(marker.read())
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if tag.encode() in environ.read().split(b"\0"):
                    found.add(pid)
        except (OSError, ValueError):
            pass
    return found


def wait_for_new_spare(tag, before, timeout=300):
    """Waits for a spare of `tag` that was not ready before."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready_spares(tag) - before:
            return
        time.sleep(0.5)
    with open(os.path.join(spare_dir(), "spare.log"), errors="replace") as log:
        raise AssertionError("no spare became ready; the spares' log ends:\n" + log.read()[-3000:])


def start(env, cwd, log):
    km = KernelManager(kernel_name="flint")
    km.start_kernel(env=env, cwd=cwd, stderr=log)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def start_served(env, prefix, name, kernels):
    """Starts a kernel in the folder `name`; checks that a spare serves it and that its cells run in that folder.
    Returns the kernel and the spare's process id."""
    log = os.path.join(prefix, f"{name}.log")
    km, kc = start(env, os.path.join(prefix, name), open(log, "w"))
    kernels.append((km, kc))
    spare = served_by(log)
    reply, outputs = execute(kc, 'std::fs::read_to_string("where.txt")?')
    assert reply["status"] == "ok" and result_text(outputs) == f'"{name}"', (reply, outputs)
    return km, kc, spare


def served_by(log_path):
    """The process id of the spare that serves the kernel whose launcher wrote this log."""
    with open(log_path) as log:
        for line in log:
            if "served by the spare kernel" in line:
                return int(line.split()[-1])
    raise AssertionError(f"the kernel was not served by a spare: {open(log_path).read()}")


def gone(pid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
            return True
        time.sleep(0.2)
    return False


def main(flint):
    with tempfile.TemporaryDirectory() as prefix:
        subprocess.run([flint, "kernel", "install", "--prefix", prefix], check=True, capture_output=True)
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        # A key of this test's own (other kernels' spares are not ours to take); its spares exit a minute after they
        # are ready and untaken.
        tag = f"FLINT_SPARE_TEST={uuid.uuid4().hex}"
        env = {**os.environ, "FLINT_KERNEL_SPARE_IDLE": "60", tag.split("=")[0]: tag.split("=")[1]}
        dirs = [os.path.join(prefix, name) for name in ("a", "b", "c")]
        for d in dirs:
            os.makedirs(d)
            with open(os.path.join(d, "where.txt"), "w") as f:
                f.write(os.path.basename(d))
        kernels = []
        try:
            before = ready_spares(tag)
            first = start(env, dirs[0], open(os.path.join(prefix, "a.log"), "w"))
            kernels.append(first)
            reply, outputs = execute(first[1], 'std::fs::read_to_string("where.txt")?')
            assert reply["status"] == "ok" and result_text(outputs) == '"a"', (reply, outputs)
            wait_for_new_spare(tag, before)

            # The next kernel is the spare: its cells run in its own folder, the warm-up left no variable, and the
            # engine's first job is job 0, as in a fresh session.
            before = ready_spares(tag)
            km, kc, spare = start_served(env, prefix, "b", kernels)
            reply, outputs = execute(kc, "flint_warm_up")
            assert reply["status"] == "error" and reply["ename"] == "CompileError", reply
            reply, outputs = execute(
                kc,
                'let log = EventLog::new(); session.add_listener(log.clone());\n'
                'let n = session.sql("SELECT 41 + 1 AS a")?.count()?;\n'
                "let first = log.events().iter()\n"
                "    .find_map(|e| match e { Event::JobStart { job_id, .. } => Some(*job_id), _ => None });\n"
                "(n, first)",
            )
            assert reply["status"] == "ok" and result_text(outputs) == "(1, Some(0))", (reply, outputs)

            # It started the next spare; a shutdown request ends it and its launcher normally.
            wait_for_new_spare(tag, before)
            kc.shutdown()
            assert km.provisioner.process.wait(timeout=60) == 0
            assert gone(spare), f"the spare's kernel {spare} is still running after shutdown"
            kc.stop_channels()
            kernels.remove((km, kc))

            # Jupyter's forced shutdown kills the launcher: the spare's kernel stops too.
            km, kc, spare = start_served(env, prefix, "c", kernels)
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            kernels.remove((km, kc))
            assert gone(spare), f"the spare's kernel {spare} is still running after its launcher was killed"
        finally:
            for km, kc in kernels:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
    print("spare ok")


if __name__ == "__main__":
    main(sys.argv[1])
