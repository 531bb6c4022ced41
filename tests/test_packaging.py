"""Packaging: pyproject's dependencies and their pins, CI's install, and the Dockerfile.

No Docker engine runs the tests, so the Dockerfile is read as text: its instructions are checked
for the properties the image relies on, and its shell and Python snippets are run here as they
would run in the container.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bot.ops import OpsServer
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DEPENDENCIES = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
DEV_DEPENDENCIES = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return [(word.upper(), rest.strip()) for word, _, rest in (s.strip().partition(" ") for s in logical)]


def arguments(instruction: str) -> list[str]:
    return [args for word, args in dockerfile() if word == instruction]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(a, str) for a in value), args
    return value


def index_of(predicate_text: str, instruction: str) -> int:
    for i, (word, args) in enumerate(dockerfile()):
        if word == instruction and predicate_text in args:
            return i
    raise AssertionError(f"no {instruction} with {predicate_text!r} in the Dockerfile")


# ---------------------------------------------------------------------- pyproject and constraints

def test_every_dependency_has_an_upper_bound() -> None:
    unbounded = [str(r) for r in DEPENDENCIES + DEV_DEPENDENCIES
                 if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]
    assert unbounded == []


def test_lxml_html_clean_is_a_direct_dependency_so_old_pips_install_it() -> None:
    # pip before 23.3 drops justext's `lxml[html_clean]` extra; trafilatura then fails to import.
    assert "lxml-html-clean" in {canonicalize_name(r.name) for r in DEPENDENCIES}


def test_the_build_requirement_accepts_the_license_form_used() -> None:
    setuptools = next(Requirement(r) for r in PYPROJECT["build-system"]["requires"]
                      if canonicalize_name(Requirement(r).name) == "setuptools")
    lowest = min(Version(s.version) for s in setuptools.specifier if s.operator in (">=", ">", "=="))
    if isinstance(PYPROJECT["project"]["license"], str):  # an SPDX expression: setuptools 77 on
        assert lowest >= Version("77")
    assert all((ROOT / name).is_file() for name in PYPROJECT["project"].get("license-files", []))


def test_constraints_pin_every_dependency_within_its_range() -> None:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    outside = {str(r): pins.get(canonicalize_name(r.name)) for r in DEPENDENCIES + DEV_DEPENDENCIES
               if canonicalize_name(r.name) not in pins
               or not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)}
    assert outside == {}, "regenerate constraints.txt as its first lines say"


# ---------------------------------------------------------------------- CI

def test_ci_installs_and_tests_as_the_readme_says_with_the_venvs_own_pip() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines()
                   if "pip install" in line and "pytest" in line)
    install = re.search(r"pip (install [^&]+?)\s*&&", command)
    assert install is not None, command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r'"\$venv/bin/pip" install (--quiet )?' + re.escape(install[1].removeprefix("install ")),
                     ci), f"CI does not install as the README says: {install[1]}"
    assert "--upgrade pip" not in ci and "-U pip" not in ci
    assert re.search(r'^"\$venv/bin/python" -m pytest$', ci, re.MULTILINE)


# ---------------------------------------------------------------------- Dockerfile

def test_docker_installs_the_dependencies_in_a_layer_that_only_pyproject_and_constraints_feed() -> None:
    steps = dockerfile()
    install_deps = index_of("-c constraints.txt", "RUN")
    copy_bot = index_of("bot", "COPY")
    assert install_deps < copy_bot
    copies_before = [args for word, args in steps[:install_deps] if word in ("COPY", "ADD")]
    assert copies_before == ["pyproject.toml constraints.txt ./"]
    install_package = index_of("pip install --no-deps .", "RUN")
    assert install_package > copy_bot


def test_docker_dependency_layer_installs_exactly_pyprojects_dependencies() -> None:
    run = next(args for args in arguments("RUN") if "-c constraints.txt" in args)
    words = shlex.split(run)
    code = words[words.index("-c", words.index("python")) + 1]
    listed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert [Requirement(r) for r in listed] == DEPENDENCIES


def test_docker_runs_as_a_user_who_owns_the_state_and_rules_volumes() -> None:
    volumes = {v for args in arguments("VOLUME") for v in exec_form(args)}
    assert {"/app/state", "/app/rules"} <= volumes
    user = arguments("USER")[-1]
    assert user not in ("root", "0")
    chown = next(args for args in arguments("RUN") if "chown" in args)
    assert user in chown and "/app/state" in chown and "/app/rules" in chown


def test_docker_entrypoint_seeds_an_empty_rules_volume_and_keeps_an_edited_one(tmp_path: Path) -> None:
    shipped_in_image = next(args.split()[-1] for args in arguments("COPY") if args.split()[0] == "rules")
    entrypoint = exec_form(arguments("ENTRYPOINT")[-1])
    assert entrypoint[:2] == ["/bin/sh", "-c"]
    volume = tmp_path / "volume"
    volume.mkdir()
    script = entrypoint[2].replace(shipped_in_image, str(ROOT / "rules")).replace("/app/rules", str(volume))

    def start(*command: str) -> str:
        return subprocess.run(["/bin/sh", "-c", script, *entrypoint[3:], *command],
                              capture_output=True, text=True, check=True).stdout

    assert start("echo", "run", "--worker") == "run --worker\n"
    actors = volume / "actors.yaml"
    assert actors.read_text(encoding="utf-8") == (ROOT / "rules" / "actors.yaml").read_text(encoding="utf-8")
    assert {p.name for p in volume.iterdir()} == {p.name for p in (ROOT / "rules").iterdir()}

    actors.write_text("# confirmed by an analyst\n", encoding="utf-8")
    start("true")
    assert actors.read_text(encoding="utf-8") == "# confirmed by an analyst\n"


def test_docker_exposes_the_port_its_health_endpoints_listen_on() -> None:
    env = " ".join(arguments("ENV"))
    port = re.search(r"\bSHIFTWATCH_HTTP_PORT=(\d+)", env)
    assert port is not None and re.search(r"\bSHIFTWATCH_HTTP_HOST=0\.0\.0\.0\b", env)
    assert port[1] in " ".join(arguments("EXPOSE")).split()


def healthcheck() -> list[str]:
    (args,) = arguments("HEALTHCHECK")
    command = exec_form(args[args.index("CMD ") + len("CMD "):])
    assert command[0] == "python" and "/healthz" in command[-1]  # the standard library: no curl
    return [sys.executable, *command[1:]]


async def run_healthcheck(port: int) -> int:
    process = await asyncio.create_subprocess_exec(*healthcheck(), env={"SHIFTWATCH_HTTP_PORT": str(port)},
                                                   stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(process.wait(), 30)


async def test_docker_healthcheck_passes_while_healthz_answers_and_fails_once_it_stops(
        sqlite_store: Store) -> None:
    server = OpsServer(sqlite_store, port=0)
    await server.start(None)
    try:
        assert await run_healthcheck(server.port) == 0
    finally:
        await server.stop()
    assert await run_healthcheck(server.port) != 0

