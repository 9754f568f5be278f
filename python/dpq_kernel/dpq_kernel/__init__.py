"""Jupyter kernel for the dpq language.

The kernel is a thin wrapper: every value, error, figure and completion is produced by a
`dpq kernel-server` process (docs/jupyter.md describes its JSON-lines protocol); this package
only turns the server's messages into Jupyter messages.
"""

__version__ = "0.2.0"
