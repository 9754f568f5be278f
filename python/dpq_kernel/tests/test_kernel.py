"""The dpq Jupyter kernel through jupyter_client, as a notebook front end drives it.

Run: DPQ_EXECUTABLE=.build/release/dpq .venv/bin/python python/dpq_kernel/tests/test_kernel.py
(Tests/DPQReplTests/JupyterKernelTests.swift runs it under `swift test`). A missing Python
package is a failure, never a skip: CI must have what scripts/setup installs.
"""

import os
import queue
import sys
import tempfile
import time
import unittest

try:
    import jupyter_client  # noqa: F401
    from jupyter_client.manager import KernelManager
    import ipykernel  # noqa: F401
    import dpq_kernel  # noqa: F401
    from dpq_kernel.install import install
except ImportError as e:  # not a skip: the environment is broken
    sys.stderr.write("test_kernel: missing Python package (%s); run scripts/setup\n" % e)
    sys.exit(2)

TIMEOUT = 60


def collect(client, msg_id):
    """The iopub messages of one request, up to its idle status."""
    messages = []
    while True:
        msg = client.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
        messages.append(msg)


def shell_reply(client, msg_id):
    """The shell reply to one request (a late kernel_info reply of wait_for_ready is skipped)."""
    while True:
        reply = client.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def shell_reply_within(client, msg_id, seconds):
    """The reply to `msg_id` if it comes within `seconds`; raises queue.Empty otherwise."""
    deadline = time.time() + seconds
    while True:
        reply = client.get_shell_msg(timeout=max(0.01, deadline - time.time()))
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def run(client, code):
    """Executes a cell; returns its shell reply's content and its iopub messages."""
    msg_id = client.execute(code)
    reply = shell_reply(client, msg_id)
    return reply["content"], collect(client, msg_id)


def results(messages, kind="execute_result", mime="text/plain"):
    return [m["content"]["data"].get(mime) for m in messages if m["msg_type"] == kind]


class DpqKernelTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        dpq = os.environ.get("DPQ_EXECUTABLE")
        if not dpq or not os.access(dpq, os.X_OK):
            raise AssertionError("DPQ_EXECUTABLE must name the built dpq binary, got %r" % dpq)
        # the kernelspec goes to a private prefix, found through JUPYTER_PATH
        cls.prefix = tempfile.TemporaryDirectory()
        install(dpq, prefix=cls.prefix.name)
        os.environ["JUPYTER_PATH"] = os.path.join(cls.prefix.name, "share", "jupyter")

    @classmethod
    def tearDownClass(cls):
        cls.prefix.cleanup()

    def setUp(self):
        self.manager = KernelManager(kernel_name="dpq")
        self.manager.start_kernel()
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=TIMEOUT)

    def tearDown(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def test_a_cell_gives_its_execute_result(self):
        reply, messages = run(self.client, "x = 6 * 7\nx")
        self.assertEqual(reply["status"], "ok")
        self.assertEqual(results(messages), ["42"])
        reply, messages = run(self.client, "x + 1")
        self.assertEqual(results(messages), ["43"])

    def test_an_error_shows_the_diagnostic(self):
        # a silent cell does not count, so the next one is In [1] (the server ran two)
        msg_id = self.client.execute("0", silent=True)
        shell_reply(self.client, msg_id)
        collect(self.client, msg_id)
        reply, messages = run(self.client, "y = [1, 2]\ny[5]")
        self.assertEqual(reply["status"], "error")
        errors = [m["content"] for m in messages if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        # the cell is named by its execution count, as Jupyter shows it: In [1]
        self.assertRegex(errors[0]["traceback"][0], r"^<cell-1>:2:\d+: error: list index 5 out of range")
        self.assertIn("^", errors[0]["traceback"][2])

    def test_a_figure_arrives_as_png(self):
        reply, messages = run(self.client, 'plot([1, 4, 9], title: "squares")')
        self.assertEqual(reply["status"], "ok", messages)
        images = results(messages, "display_data", "image/png")
        self.assertEqual(len(images), 1)
        self.assertTrue(images[0].startswith("iVBORw0KGgo"))  # base64 of \x89PNG\r\n\x1a\n

    def test_completion_offers_fashion_mnist(self):
        msg_id = self.client.complete("data = fashion_mn", 17)
        reply = shell_reply(self.client, msg_id)["content"]
        self.assertIn("fashion_mnist", reply["matches"])
        self.assertEqual((reply["cursor_start"], reply["cursor_end"]), (7, 17))
        collect(self.client, msg_id)

    def test_inspection_of_zeros_is_its_help(self):
        reply = shell_reply(self.client, self.client.inspect("zeros", 3))["content"]
        self.assertTrue(reply["found"])
        self.assertTrue(reply["data"]["text/plain"].startswith("zeros(shape) -> tensor"), reply)

    def test_is_complete_drives_continuation(self):
        reply = shell_reply(self.client, self.client.is_complete("fn f(x) {"))["content"]
        self.assertEqual(reply["status"], "incomplete")
        reply = shell_reply(self.client, self.client.is_complete("1 + 2"))["content"]
        self.assertEqual(reply["status"], "complete")

    def test_an_interrupt_keeps_the_variables_and_restart_clears_them(self):
        run(self.client, "kept = 5")
        msg_id = self.client.execute("while true {}")
        reply = None
        # an interrupt that lands before the cell starts finds nothing to stop (as at an idle
        # prompt), so on a slow machine it is repeated, 3 s apart: more than the 2 s within
        # which a second one would end dpq
        for _ in range(10):
            time.sleep(1.0 if reply is None else 3.0)
            self.manager.interrupt_kernel()
            try:
                reply = shell_reply_within(self.client, msg_id, 3.0)
                break
            except queue.Empty:
                reply = False
        self.assertTrue(reply, "the interrupt did not stop the cell")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        collect(self.client, msg_id)
        reply, messages = run(self.client, "kept")
        self.assertEqual(results(messages), ["5"])

        self.manager.restart_kernel(now=False)
        self.client.wait_for_ready(timeout=TIMEOUT)
        reply, messages = run(self.client, "kept")
        self.assertEqual(reply["status"], "error")
        errors = [m["content"]["evalue"] for m in messages if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertIn("kept", errors[0])

    def test_a_dpq_process_that_died_is_replaced_by_a_fresh_one(self):
        import psutil  # an ipykernel dependency

        run(self.client, "gone = 1")
        kernel = psutil.Process(self.manager.provisioner.process.pid)
        servers = [p for p in kernel.children() if "kernel-server" in " ".join(p.cmdline())]
        self.assertEqual(len(servers), 1)
        servers[0].kill()
        time.sleep(0.5)  # the kernel reaps it; until then it is a zombie
        reply, messages = run(self.client, "gone")
        self.assertEqual(reply["status"], "error")
        notes = [m["content"]["text"] for m in messages if m["msg_type"] == "stream"]
        self.assertTrue(any("fresh session" in n for n in notes), messages)
        reply, messages = run(self.client, "2 * 21")
        self.assertEqual(results(messages), ["42"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
