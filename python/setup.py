"""Builds the connswap package; its protobuf modules are generated, never committed.

build_py runs protoc on ../proto/connswap/v1/*.proto (or $CONNSWAP_PROTO_DIR) into the
build tree, so `connswap/v1/director_pb2.py` lands inside this package and the generated
`from connswap.v1 import ...` imports resolve to it. protoc is grpcio-tools' (the version
matched to the protobuf runtime), else the `protoc` on PATH.
"""

import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
PROTOS = ["rpc.proto", "director.proto", "worker.proto", "migration.proto"]


def proto_root():
    root = pathlib.Path(os.environ.get("CONNSWAP_PROTO_DIR", HERE.parent / "proto"))
    if not (root / "connswap" / "v1" / "rpc.proto").is_file():
        sys.exit(f"connswap: no proto/connswap/v1 at {root} (set CONNSWAP_PROTO_DIR)")
    return root


def protoc_command():
    try:
        import grpc_tools  # noqa: F401  (only asks whether it is installed)
        return [sys.executable, "-m", "grpc_tools.protoc"]
    except ImportError:
        found = shutil.which("protoc")
        if not found:
            sys.exit("connswap: needs grpcio-tools or protoc to generate the protobuf code")
        return [found]


class BuildWithProtos(build_py):
    """build_py, then protoc into build_lib/connswap/v1/."""

    def run(self):
        super().run()
        root = proto_root()
        out = pathlib.Path(self.build_lib)
        (out / "connswap" / "v1").mkdir(parents=True, exist_ok=True)
        files = [str(root / "connswap" / "v1" / p) for p in PROTOS]
        cmd = protoc_command() + [f"--proto_path={root}", f"--python_out={out}",
                                  f"--pyi_out={out}"] + files
        subprocess.run(cmd, check=True)
        init = out / "connswap" / "v1" / "__init__.py"
        init.write_text('"""Generated from proto/connswap/v1 at build time."""\n')


setup(cmdclass={"build_py": BuildWithProtos})
