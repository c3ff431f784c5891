"""Times the Flint kernel as a notebook user meets it, through a real Jupyter client (jupyter_client): a fresh
kernel's start and first cell; then the next kernel, served by the spare the first one started: its start, its
first cell (a DataFrame), trivial cells, an RDD closure and a SQL query over the 100k ratings, a completion. Prints
one line per figure (median of the repeated cells).

    python kernel/benches/timing.py           # the installed kernel `flint` (flint kernel install --sys-prefix)
"""
import os
import statistics
import sys
import time
import uuid

from jupyter_client import KernelManager

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from spare import ready_spares, wait_for_new_spare  # noqa: E402

FIRST_CELL = 'let df = session.sql("SELECT 1 AS a")?; df.count()?'


def run(kc, code, timeout=600):
    started = time.monotonic()
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            break
    assert msg["content"]["status"] == "ok", msg["content"]
    return time.monotonic() - started


def start(env):
    km = KernelManager(kernel_name="flint")
    started = time.monotonic()
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=600)
    return km, kc, time.monotonic() - started


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def first_cell(env, tag, kernel, what):
    """Starts a kernel and times its start and first cell; returns once the spare it started is ready."""
    before = ready_spares(tag)
    km, kc, ready = start(env)
    print(f"{kernel} ready (kernel_info answered): {ready:.2f} s")
    print(f"{kernel}'s first cell {what}: {run(kc, FIRST_CELL):.2f} s")
    wait_for_new_spare(tag, before)
    return km, kc


def main():
    # A key of this run's own: the first kernel is a fresh one (no spare of this key waits), and the spares it
    # leaves exit a minute after the run.
    tag = f"FLINT_TIMING_RUN={uuid.uuid4().hex}"
    env = {**os.environ, "FLINT_KERNEL_SPARE_IDLE": "60", tag.split("=")[0]: tag.split("=")[1]}
    km, kc = first_cell(env, tag, "fresh kernel", "(prelude, rust-analyzer's first pass, a DataFrame)")
    stop(km, kc)
    # The next kernel is the spare the first one started; it starts the next spare, which warms up meanwhile.
    km, kc = first_cell(env, tag, "kernel served by a spare", "(a DataFrame; the next spare warms up meanwhile)")
    trivial = [run(kc, f"{i} + 1") for i in range(5)]
    print(f"trivial cell, a literal: {statistics.median(trivial):.2f} s (median of 5)")
    run(kc, "let n = 1u64;")
    typed = [run(kc, f"n + {i}") for i in range(5)]
    print(f"trivial cell, a typed value: {statistics.median(typed):.2f} s (median of 5)")
    setup = 'let notes = session.text_file(&datasets::path("film.data"), 2)?;'
    run(kc, setup)
    rdd = [
        run(kc, "notes.flat_map(|l| l.split('\\t').nth(2).and_then(|n| n.parse::<u8>().ok())).count_by_value()?.len()")
        for _ in range(3)
    ]
    print(f"RDD closure over the 100k ratings: {statistics.median(rdd):.2f} s (median of 3)")
    run(kc, 'session.read().option("sep", "\\t").csv(&datasets::path("film.data"))?.create_or_replace_temp_view("r")?;')
    sql = [run(kc, 'session.sql("SELECT _c2, count(*) FROM r GROUP BY _c2")?.count()?') for _ in range(3)]
    print(f"SQL over the 100k ratings: {statistics.median(sql):.2f} s (median of 3)")
    started = time.monotonic()
    msg_id = kc.complete("session.sq", 10)
    while kc.get_shell_msg(timeout=600)["parent_header"].get("msg_id") != msg_id:
        pass
    print(f"completion: {time.monotonic() - started:.2f} s")
    stop(km, kc)


if __name__ == "__main__":
    main()
