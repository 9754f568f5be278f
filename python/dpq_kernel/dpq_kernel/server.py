"""The `dpq kernel-server` child process and its JSON-lines protocol (docs/jupyter.md)."""

import json
import os
import shutil
import signal
import subprocess


class ServerEnded(Exception):
    """The dpq process ended (or never started); `status` is its exit status, if known."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def dpq_executable():
    """The dpq binary: $DPQ_EXECUTABLE (the kernelspec sets it at install), else `dpq` on PATH."""
    path = os.environ.get("DPQ_EXECUTABLE") or shutil.which("dpq")
    if not path:
        raise ServerEnded("cannot find the dpq binary: set DPQ_EXECUTABLE or put dpq on PATH")
    return path


class Server:
    """One `dpq kernel-server` process: one dpq session whose variables persist across cells.

    The child runs in its own session (process group), so a SIGINT sent to the kernel's group
    reaches it only through `interrupt()`: exactly one SIGINT per interrupt, as one Ctrl-C at
    the REPL (two within 2 s while work does not stop would end the process).
    """

    def __init__(self, executable=None, extra_args=()):
        self.executable = executable or dpq_executable()
        self.process = subprocess.Popen(
            [self.executable, "kernel-server", *extra_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # the server's own diagnostics go to the kernel's log
            start_new_session=True,
            bufsize=0,
        )
        self.next_id = 0
        ready = self._read()
        if ready.get("type") != "ready":
            raise ServerEnded("dpq kernel-server did not start: %r" % ready)
        self.version = ready.get("version", "")

    @property
    def alive(self):
        return self.process.poll() is None

    def request(self, kind, on_event=None, **fields):
        """Sends one request and returns its reply; `on_event(message)` gets every event
        (stream, display, result, error) that comes before it."""
        self.next_id += 1
        message = dict(fields, type=kind, id=self.next_id)
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._ended()
        while True:
            event = self._read()
            if event.get("id") != self.next_id:
                continue  # a late message of an earlier request (none are expected)
            if event.get("type") == "reply":
                return event
            if on_event is not None:
                on_event(event)

    def interrupt(self):
        """Stops the running cell at its next statement, batch or iteration (the REPL's Ctrl-C)."""
        if self.alive:
            os.kill(self.process.pid, signal.SIGINT)

    def shutdown(self, timeout=5):
        if self.alive:
            try:
                self.request("shutdown")
            except ServerEnded:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise self._ended()
        return json.loads(line.decode("utf-8"))

    def _ended(self):
        try:
            status = self.process.wait(5)
        except subprocess.TimeoutExpired:
            status = None
        return ServerEnded("the dpq process ended (exit status %s)" % status, status)
