"""The `dpq` Jupyter kernel: ipykernel's Kernel base class over a `dpq kernel-server` process."""

import os
import signal

from ipykernel.kernelbase import Kernel

from . import __version__
from .server import Server, ServerEnded


class DpqKernel(Kernel):
    implementation = "dpq_kernel"
    implementation_version = __version__
    language = "dpq"
    language_version = "0.1"
    language_info = {
        "name": "dpq",
        "mimetype": "text/x-dpq",
        "file_extension": ".dpq",
        "pygments_lexer": "text",
        "codemirror_mode": "python",  # close enough for brackets, strings and # comments
    }
    banner = "dpq: Deep Progressive Quantization (?name for help, :vars for the variables)"
    help_links = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.server = None
        try:
            self._start_server()
        except (ServerEnded, OSError) as e:
            # the kernel still starts, so the first cell can say what is wrong
            self.log.error("dpq kernel: %s", e)
        # An interrupt (SIGINT from jupyter_client, or ipykernel's interrupt_request) reaches
        # this process; the dpq process is in a session of its own and gets it from here.
        try:
            signal.signal(signal.SIGINT, self._forward_interrupt)
        except ValueError:
            pass  # not the main thread: ipykernel's KeyboardInterrupt path still forwards
        # a parent may have blocked SIGINT (some process launchers do); the interrupt needs it
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def _start_server(self):
        self.server = None
        # SVG costs one more gnuplot run per figure, so it is asked for: DPQ_KERNEL_SVG=1
        extra = ["--svg"] if os.environ.get("DPQ_KERNEL_SVG") == "1" else []
        self.server = Server(extra_args=extra)
        self.implementation_version = "%s (dpq %s)" % (__version__, self.server.version)

    def _forward_interrupt(self, signum, frame):
        if self.server is not None:
            self.server.interrupt()

    def _ensure_server(self):
        """A fresh dpq process when the last one ended; returns a note saying so, or None."""
        if self.server is not None and self.server.alive:
            return None
        had_one = self.server is not None
        self._start_server()
        if had_one:
            return "the dpq process had ended: this is a fresh session, earlier variables are gone\n"
        return None

    def _request(self, kind, on_event=None, **fields):
        """The server's reply; an interrupt that arrives as KeyboardInterrupt (ipykernel sets the
        default handler while it runs a request) is forwarded and the reply still awaited, so
        the session and its variables survive."""
        while True:
            try:
                return self.server.request(kind, on_event=on_event, **fields)
            except KeyboardInterrupt:
                self.server.interrupt()
                try:
                    return self._await_reply(on_event)
                except KeyboardInterrupt:
                    self.server.interrupt()
                    continue

    def _await_reply(self, on_event):
        while True:
            event = self.server._read()
            if event.get("id") != self.server.next_id:
                continue
            if event.get("type") == "reply":
                return event
            if on_event is not None:
                on_event(event)

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False):
        note = None
        try:
            note = self._ensure_server()
        except (ServerEnded, OSError) as e:
            return self._error_reply("ServerEnded", str(e), [str(e)], silent)
        if note and not silent:
            self.send_response(self.iopub_socket, "stream", {"name": "stderr", "text": note})

        def on_event(event):
            if silent:
                return
            kind = event.get("type")
            if kind == "stream":
                self.send_response(self.iopub_socket, "stream", {"name": event["name"], "text": event["text"]})
            elif kind == "display":
                self.send_response(self.iopub_socket, "display_data", {"data": event["data"], "metadata": {}})
            elif kind == "result":
                self.send_response(self.iopub_socket, "execute_result",
                                   {"execution_count": self.execution_count, "data": event["data"], "metadata": {}})
            elif kind == "error":
                self.send_response(self.iopub_socket, "error",
                                   {"ename": event["ename"], "evalue": event["evalue"], "traceback": event["traceback"]})

        try:
            reply = self._request("execute", on_event=on_event, code=code, cell=self.execution_count)
        except ServerEnded as e:
            message = "%s; the next cell starts a fresh session" % e
            return self._error_reply("ServerEnded", message, [message], silent)
        if reply.get("status") == "ok":
            return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}
        return {"status": "error", "execution_count": self.execution_count,
                "ename": reply.get("ename", "Error"), "evalue": reply.get("evalue", ""), "traceback": []}

    def _error_reply(self, ename, evalue, traceback, silent):
        if not silent:
            self.send_response(self.iopub_socket, "error", {"ename": ename, "evalue": evalue, "traceback": traceback})
        return {"status": "error", "execution_count": self.execution_count,
                "ename": ename, "evalue": evalue, "traceback": traceback}

    def do_complete(self, code, cursor_pos):
        try:
            self._ensure_server()
            reply = self._request("complete", code=code, cursor=cursor_pos)
        except (ServerEnded, OSError):
            return {"status": "ok", "matches": [], "cursor_start": cursor_pos, "cursor_end": cursor_pos, "metadata": {}}
        return {"status": "ok", "matches": reply.get("matches", []), "cursor_start": reply.get("cursor_start", cursor_pos),
                "cursor_end": reply.get("cursor_end", cursor_pos), "metadata": {}}

    def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        try:
            self._ensure_server()
            reply = self._request("inspect", code=code, cursor=cursor_pos)
        except (ServerEnded, OSError):
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        return {"status": "ok", "found": bool(reply.get("found")), "data": reply.get("data") or {}, "metadata": {}}

    def do_is_complete(self, code):
        try:
            self._ensure_server()
            reply = self._request("is_complete", code=code)
        except (ServerEnded, OSError):
            return {"status": "unknown"}
        result = {"status": reply.get("status", "unknown")}
        if result["status"] == "incomplete":
            result["indent"] = reply.get("indent", "")
        return result

    def do_shutdown(self, restart):
        if self.server is not None:
            self.server.shutdown()
            self.server = None
        return {"status": "ok", "restart": restart}
