"""`python -m dpq_kernel.install --dpq PATH [--user | --prefix DIR | --sys-prefix]`: writes the
kernelspec named `dpq`. `dpq jupyter install` runs this after pip-installing the package."""

import argparse
import json
import os
import sys
import tempfile

from jupyter_client.kernelspec import KernelSpecManager


def kernel_json(dpq, python=None):
    """The kernelspec: this environment's python runs the wrapper, which starts `dpq`."""
    return {
        "argv": [python or sys.executable, "-m", "dpq_kernel", "-f", "{connection_file}"],
        "display_name": "dpq",
        "language": "dpq",
        "interrupt_mode": "signal",
        "env": {"DPQ_EXECUTABLE": os.path.abspath(dpq)},
        "metadata": {"debugger": False},
    }


def install(dpq, user=False, prefix=None):
    """Installs the kernelspec and returns the directory it went to."""
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "kernel.json"), "w") as f:
            json.dump(kernel_json(dpq), f, indent=2)
        return KernelSpecManager().install_kernel_spec(directory, "dpq", user=user, prefix=prefix)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Install the dpq Jupyter kernelspec.")
    parser.add_argument("--dpq", required=True, help="the dpq binary the kernel starts")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for the current user")
    where.add_argument("--prefix", help="into the environment at PREFIX (share/jupyter/kernels)")
    where.add_argument("--sys-prefix", action="store_true", help="into this Python's environment")
    args = parser.parse_args(argv)
    if not os.access(args.dpq, os.X_OK):
        parser.error("%s is not an executable" % args.dpq)
    prefix = sys.prefix if args.sys_prefix else args.prefix
    destination = install(args.dpq, user=args.user, prefix=prefix)
    print("jupyter: installed the kernelspec 'dpq' in %s (runs %s)" % (destination, os.path.abspath(args.dpq)))


if __name__ == "__main__":
    main()
