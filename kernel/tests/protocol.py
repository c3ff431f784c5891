"""A real Jupyter client (jupyter_client) against the Flint kernel: kernelspec install, startup, kernel_info with
busy/idle on iopub, is_complete, heartbeat, rejection of a message signed with the wrong key, shutdown.

    python kernel/tests/protocol.py path/to/flint      (kernel/tests/protocol.rs runs it)
"""
import os
import queue
import subprocess
import sys
import tempfile

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


def main(flint):
    with tempfile.TemporaryDirectory() as prefix:
        subprocess.run([flint, "kernel", "install", "--prefix", prefix], check=True, capture_output=True)
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        km = KernelManager(kernel_name="flint")
        km.start_kernel()
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

            kc.shutdown()
            code = process.wait(timeout=10)
            assert code == 0, f"the kernel exited with {code} after shutdown_request"
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)
    print("protocol ok")


if __name__ == "__main__":
    main(sys.argv[1])
