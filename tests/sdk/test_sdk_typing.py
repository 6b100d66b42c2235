"""The package is typed (py.typed): mypy --strict passes over the installed connswap (the
generated protobuf modules excepted) and over a user's typical code."""

import pathlib
import subprocess
import sys

USER_CODE = '''
import asyncio
import connswap

async def main() -> list[str]:
    async with connswap.Client(["127.0.0.1:61000"], ca="ca.pem") as c:
        out: list[str] = []
        async for tok in c.generate("hi", max_tokens=3, verify=True):
            out.append(tok.text)
            if tok.migrated is not None:
                out.append(tok.migrated.reason)
        return out

def sync() -> int:
    with connswap.SyncClient(["127.0.0.1:61000"], ca="ca.pem") as c:
        return sum(t.seq for t in c.generate("hi", 3))

try:
    asyncio.run(main())
except connswap.Unavailable as e:
    code: connswap.StatusCode = e.code
'''


# python/pyproject.toml's [tool.mypy]: strict, the generated connswap.v1 excepted.
CONFIG = pathlib.Path(__file__).resolve().parents[2] / "python" / "pyproject.toml"


def mypy(*args):
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(CONFIG),
                           "--no-incremental", *args], capture_output=True, text=True)


def test_mypy_strict_accepts_the_package_and_its_use(tmp_path):
    package = mypy("-p", "connswap")
    assert package.returncode == 0, package.stdout + package.stderr
    user = tmp_path / "user.py"
    user.write_text(USER_CODE)
    used = mypy(str(user))
    assert used.returncode == 0, used.stdout + used.stderr
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import connswap\nx: int = connswap.demo_token('p', 1)\n")
    assert mypy(str(wrong)).returncode != 0
