"""What `pip install .` gives a user: a wheel that carries the bundled program and runs
from any folder, without a checkout beside it."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

from tests.conftest import ROOT

NOT_SOURCE = shutil.ignore_patterns(
    ".git", "var", "build", "dist", "__pycache__", "*.egg-info", ".*_cache", ".venv"
)


def test_every_package_under_bot_is_in_the_package_list():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "bot").rglob("__init__.py")
    }
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"


def test_a_wheel_installed_elsewhere_answers_next_with_the_bundled_program(tmp_path: Path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("confbot-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    # The dependencies come from this interpreter's site-packages (no network in tests);
    # a path in a .pth file is added as is, so this folder's editable confbot stays out.
    ask = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = subprocess.run([python, "-c", ask], capture_output=True, text=True,
                             check=True).stdout.strip()  # fmt: skip
    Path(purelib, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    elsewhere, home = tmp_path / "elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    # A user's environment: no settings, and no checkout on PYTHONPATH (the tests' own
    # command line sets it to this one, whose bot would run and write its var/ folder).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONFBOT_", "DISCORD_")) and k != "PYTHONPATH"}  # fmt: skip
    env.update(HOME=str(home), XDG_STATE_HOME="")
    result = subprocess.run(
        [env_dir / "bin" / "confbot", "ask", "/next", "--now", "2024-07-10T10:50"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Sabre: Hardware-Accelerated Snapshot Compression" in result.stdout
    assert (home / ".local" / "state" / "confbot" / "confbot.db").is_file()
    assert not Path(purelib, "var").exists()  # nothing written into site-packages
    where = subprocess.run([python, "-c", "import bot; print(bot.__file__)"], env=env,
                           cwd=elsewhere, capture_output=True, text=True).stdout  # fmt: skip
    assert where.startswith(purelib)  # the wheel's copy ran, not this checkout
