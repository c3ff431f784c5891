"""A real Jupyter client (jupyter_client) against the Flint kernel: kernelspec install, startup, kernel_info with
busy/idle on iopub, is_complete, heartbeat, rejection of a message signed with the wrong key, cell execution
(counts, results, rich DataFrame and RDD display, live job progress, %%sql / %%explain / :help, completions and
inspection, compile errors, panics that keep earlier variables, failed jobs, interrupts that cancel a job or kill
a runaway loop), shutdown.

    python kernel/tests/protocol.py path/to/flint      (kernel/tests/protocol.rs runs it)
"""
import os
import queue
import subprocess
import sys
import tempfile
import time

from jupyter_client import KernelManager
from jupyter_client.session import Session


def statuses_for(kc, msg_id, timeout=10):
    """The execution states iopub reported for one request, in order, until idle."""
    states = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status":
            states.append(msg["content"]["execution_state"])
            if states[-1] == "idle":
                return states


def shell_reply(kc, msg_id, timeout=10):
    """The shell reply to one request."""
    while True:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def execute(kc, code, timeout=300):
    """Runs a cell: its reply content and the iopub messages it produced (before idle)."""
    msg_id = kc.execute(code)
    reply = shell_reply(kc, msg_id, timeout)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply["content"], outputs
        if msg["msg_type"] != "status":
            outputs.append(msg)


def result_text(outputs):
    """The text/plain of a cell's execute_result."""
    results = [m["content"]["data"] for m in outputs if m["msg_type"] == "execute_result"]
    assert len(results) == 1, outputs
    return results[0]["text/plain"]


def check_cells(kc, km):
    reply, outputs = execute(kc, "let x = 40 + 2;")
    assert reply["status"] == "ok" and reply["execution_count"] == 1, (reply, outputs)
    inputs = [m for m in outputs if m["msg_type"] == "execute_input"]
    assert inputs and inputs[0]["content"]["execution_count"] == 1, outputs

    reply, outputs = execute(kc, "x")
    assert reply["status"] == "ok" and reply["execution_count"] == 2, reply
    assert result_text(outputs) == "42", outputs

    reply, outputs = execute(kc, 'println!("hello {}", x);')
    streams = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
    assert streams == "hello 42\n", outputs

    # A panic is an error (not `ok` as in stock evcxr), and earlier variables survive it.
    reply, outputs = execute(kc, 'let doomed = 1; panic!("boom {}", x);')
    assert reply["status"] == "error" and reply["ename"] == "panic", reply
    assert reply["evalue"] == "boom 42", reply
    assert [m for m in outputs if m["msg_type"] == "error"], outputs
    reply, outputs = execute(kc, "x + 1")
    assert reply["status"] == "ok" and result_text(outputs) == "43", (reply, outputs)

    # Completions are evcxr's (rust-analyzer's), with the prelude and earlier cells in scope; inspect (Shift-Tab)
    # gives a variable's type.
    reply = shell_reply(kc, kc.complete("session.sq", 10), timeout=300)["content"]
    assert reply["status"] == "ok" and any(m.startswith("sql") for m in reply["matches"]), reply
    assert (reply["cursor_start"], reply["cursor_end"]) == (8, 10), reply
    reply = shell_reply(kc, kc.inspect("x + 1", 0), timeout=60)["content"]
    assert reply["found"] and reply["data"]["text/plain"] == "x: i32", reply

    reply, outputs = execute(kc, 'let bad: i32 = "text";')
    assert reply["status"] == "error" and reply["ename"] == "CompileError", reply
    assert "mismatched types" in reply["evalue"], reply

    # The prelude's session; a DataFrame shows as an HTML table with its schema and row count.
    reply, outputs = execute(kc, 'session.sql("SELECT 1 AS a, \'x\' AS b")?')
    assert reply["status"] == "ok", (reply, outputs)
    data = [m["content"]["data"] for m in outputs if m["msg_type"] == "execute_result"][0]
    assert "<table" in data["text/html"] and "1 row" in data["text/html"], data
    assert data["text/plain"].startswith("+---+---+\n|  a|  b|"), data

    # An RDD shows as its lineage; nothing runs.
    reply, outputs = execute(kc, "session.parallelize(vec![1, 2, 3], 2).map(|x| x * 2)")
    assert reply["status"] == "ok" and "ParallelCollectionRDD" in result_text(outputs), (reply, outputs)

    # A job longer than half a second shows a live progress display, replaced by a summary when it ends.
    reply, outputs = execute(
        kc,
        "session.parallelize((0..8u64).collect::<Vec<_>>(), 8)"
        ".map(|v| { std::thread::sleep(std::time::Duration::from_millis(300)); v }).count()?",
    )
    assert reply["status"] == "ok" and result_text(outputs) == "8", (reply, outputs)
    shown = [m for m in outputs if m["msg_type"] == "display_data"]
    assert len(shown) == 1 and shown[0]["content"]["transient"]["display_id"].startswith("flint-job-"), outputs
    assert "<progress" in shown[0]["content"]["data"]["text/html"], shown
    updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
    assert updates and "1 stage, 8 tasks, 8 rows" in updates[-1]["content"]["data"]["text/plain"], outputs

    # %%sql runs its statements on the session and shows the last result; %%explain prints the plans; :help lists
    # Flint's commands.
    reply, outputs = execute(
        kc, "%%sql\nCREATE OR REPLACE TEMP VIEW t AS SELECT 1 AS a UNION ALL SELECT 2;\nSELECT sum(a) AS total FROM t"
    )
    assert reply["status"] == "ok", (reply, outputs)
    assert "|    3|" in result_text(outputs), outputs
    reply, outputs = execute(kc, "%%explain\nSELECT a FROM t WHERE a > 1")
    streams = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
    assert reply["status"] == "ok" and "== Physical Plan ==" in streams, (reply, outputs)
    reply, outputs = execute(kc, ":help")
    assert reply["status"] == "ok" and "%%sql" in result_text(outputs), (reply, outputs)
    reply, outputs = execute(kc, "%%sql\n")
    assert reply["status"] == "error" and reply["ename"] == "UsageError", reply
    # :timing shows how long each cell took and where the time went (evcxr's phases), then goes off again.
    reply, outputs = execute(kc, ":timing")
    assert reply["status"] == "ok", (reply, outputs)
    reply, outputs = execute(kc, "40 + 2")
    streams = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
    assert reply["status"] == "ok" and result_text(outputs) == "42", (reply, outputs)
    assert streams.startswith("Took ") and "Final compile: " in streams, outputs
    # A typed value shows in one compile: the prelude gives common types `evcxr_display`, so evcxr needs no second
    # compile with its Debug fallback (which an unsuffixed literal like `40 + 2` above still takes).
    execute(kc, "let n = 40u64;")
    for code, shown in [("n + 2", "42"), ('vec![(1u8, n), (2, 3)]', "[(1, 40), (2, 3)]"), ('"abc"', '"abc"')]:
        reply, outputs = execute(kc, code)
        streams = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
        assert reply["status"] == "ok" and result_text(outputs) == shown, (code, reply, outputs)
        assert "Final compile: " in streams and "Fallback" not in streams, (code, outputs)
    execute(kc, ":timing")
    reply, outputs = execute(kc, "40 + 3")
    assert not any(m["msg_type"] == "stream" for m in outputs), outputs

    # Cells share one engine (flint-notebook's library): a later cell's getOrCreate finds the prelude's session, as
    # Spark's does, whatever name it asks for.
    reply, outputs = execute(kc, 'Session::builder().app_name("other").get_or_create()?.app_name().to_string()')
    assert reply["status"] == "ok" and result_text(outputs) == '"flint-notebook"', (reply, outputs)

    # A DataFrame made by one cell is queried by later ones.
    reply, outputs = execute(kc, 'let people = session.read().csv(&datasets::path("fakefriends.csv"))?;')
    assert reply["status"] == "ok", (reply, outputs)
    reply, outputs = execute(kc, 'people.filter(col("_c2").cast("int")?.lt(lit(21)))?.select(["_c1"])?.count()?')
    assert reply["status"] == "ok" and result_text(outputs) == "27", (reply, outputs)
    reply, outputs = execute(
        kc,
        'let named = session.read().option("inferSchema", "true").csv(&datasets::path("fakefriends.csv"))?'
        '.to_df(["id", "name", "age", "friends"])?;',
    )
    assert reply["status"] == "ok", (reply, outputs)
    reply, outputs = execute(kc, 'named.filter(col("age").lt(lit(21)))?.select(["name", "age"])?')
    assert reply["status"] == "ok" and "27 rows" in outputs[-1]["content"]["data"]["text/html"], (reply, outputs)
    reply, outputs = execute(kc, 'people.group_by(["_c2"]).count()?')
    assert reply["status"] == "ok" and "<table" in outputs[-1]["content"]["data"]["text/html"], (reply, outputs)

    # A failed job ends the cell in error with the engine's message.
    reply, outputs = execute(kc, 'session.sql("SELECT nope FROM range(3)")?.count()?;')
    assert reply["status"] == "error", (reply, outputs)

    # Interrupt: the running job is cancelled and the kernel keeps its variables.
    msg_id = kc.execute(
        # 20 s of work; tasks look for a cancel every 1024 records (about every second here).
        "session.parallelize((0..40_000u64).collect::<Vec<_>>(), 2)"
        ".map(|v| { std::thread::sleep(std::time::Duration::from_millis(1)); v }).count()?"
    )
    time.sleep(3)
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=60)["content"]
    assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
    reply, outputs = execute(kc, "x")
    assert result_text(outputs) == "42", outputs

    # A loop that never looks at the engine is killed after the grace period; the next cell works.
    msg_id = kc.execute("loop { std::hint::spin_loop(); }")
    time.sleep(2)
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=60)["content"]
    assert reply["status"] == "error" and reply["ename"] == "KernelRestarted", reply
    reply, outputs = execute(kc, "6 * 7")
    assert reply["status"] == "ok" and result_text(outputs) == "42", (reply, outputs)


def main(flint):
    with tempfile.TemporaryDirectory() as prefix:
        subprocess.run([flint, "kernel", "install", "--prefix", prefix], check=True, capture_output=True)
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        km = KernelManager(kernel_name="flint")
        # Spares have their own test (spare.py); this kernel starts none.
        km.start_kernel(env={**os.environ, "FLINT_INTERRUPT_GRACE": "3", "FLINT_KERNEL_SPARE": "0"})
        process = km.provisioner.process
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=30)

            reply = kc.kernel_info(reply=True, timeout=10)
            info = reply["content"]
            assert info["status"] == "ok", info
            assert info["protocol_version"] == "5.3", info
            assert info["implementation"] == "flint", info
            assert info["language_info"]["name"] == "rust", info
            assert info["language_info"]["file_extension"] == ".rs", info
            assert statuses_for(kc, reply["parent_header"]["msg_id"]) == ["busy", "idle"]

            for code, status in [("fn f() {", "incomplete"), ("let x = 1;", "complete"), ("let x = (1];", "invalid")]:
                content = shell_reply(kc, kc.is_complete(code))["content"]
                assert content["status"] == status, (code, content)
            assert shell_reply(kc, kc.is_complete("fn f() {"))["content"]["indent"] == "    "

            # The client's heartbeat thread pings once a second: give it a few pings.
            deadline = time.monotonic() + 10
            while not kc.hb_channel.is_beating() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert kc.hb_channel.is_beating(), "the heartbeat echoes"

            # A message signed with another key is dropped: no reply.
            forged = Session(key=b"not-the-connection-key", session=kc.session.session)
            forged.send(kc.shell_channel.socket, forged.msg("kernel_info_request"))
            try:
                kc.get_shell_msg(timeout=2)
                raise AssertionError("a message with a wrong signature was answered")
            except queue.Empty:
                pass
            # ... and the kernel still answers properly signed ones.
            assert kc.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"

            check_cells(kc, km)

            # The kernel stops its evcxr child and deletes its copy of the warm slot before exiting: slow under load.
            kc.shutdown()
            code = process.wait(timeout=60)
            assert code == 0, f"the kernel exited with {code} after shutdown_request"
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)
    print("protocol ok")


if __name__ == "__main__":
    main(sys.argv[1])
