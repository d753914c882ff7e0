"""Every literal block of the documentation is a test (doc examples are tests).

The documents are ``README.rst``, ``CONTRIBUTING.rst`` and every page of ``docs/``. Each block
is found by ``tests/readme_blocks.py`` and run according to its kind:

* Python samples are executed as written against the emulators (the pytest plugin's fixtures).
  Only the origin is substituted: the samples read ``MAILRU_BASE_URL`` / ``OK_BASE_URL``, which
  the test points at the emulators, whose worlds are seeded with the samples' documented
  credentials. Every API method a sample names must reach an emulator, and ``test_*`` functions a
  sample defines are called with the fixtures they name.
* Shell commands run in subprocesses (an ``emulator`` command until it announces itself; its
  ``--port`` is the origin, so it is replaced by a free one).
* Call-signature listings are compared with the real signatures, worked signature examples are
  recomputed, the Quickstart commands are matched with what ``.ci/run`` runs, development
  commands (``ci-step``) must be lines of ``.ci/run``, and a block marked ``skip`` (network only)
  is reported as skipped with the document's own reason.

A block of an unknown kind fails, and the number of blocks is checked against a plain scan of
each document, so a new sample can never go untested.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import hashlib
import inspect
import io
import json
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync.testing._server import BaseEmulator
from tests.readme_blocks import README, Block, documents, opener_lines, readme_blocks

BLOCKS = readme_blocks()
ROOT = README.parent

# ---- Python samples ------------------------------------------------------------------------------

#: ``api.friends.get(``, ``API(session).stream.post(``, ``api('users.getInfo'`` -> method names.
_API_METHOD = re.compile(r"\b(?:api|API\([^()]*\))\s*(?:\.(\w+)\.(\w+)\s*\(|\(\s*'([\w.]+)')")


def _named_api_methods(code: str) -> set[str]:
    return {m.group(3) or f"{m.group(1)}.{m.group(2)}" for m in _API_METHOD.finditer(code)}


def _called_methods(emulators: list[BaseEmulator]) -> set[str]:
    return {r.params.get("method", "") for emu in emulators for r in emu.requests}


def _run_python(block: Block, request: pytest.FixtureRequest) -> None:
    mailru = request.getfixturevalue("mailru_emulator")
    okru = request.getfixturevalue("ok_emulator")
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("MAILRU_BASE_URL", mailru.url)
    monkeypatch.setenv("OK_BASE_URL", okru.url)
    scratch: Path = request.getfixturevalue("tmp_path")
    monkeypatch.chdir(scratch)
    for name, content in SAMPLE_FILES.items():  # the user's own files a sample names
        (scratch / name).write_bytes(content)
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for part in _chain_of(block):
            # Leading newlines keep the document's line numbers in tracebacks.
            code = compile("\n" * (part.line - 1) + part.code, str(part.path), "exec")
            exec(code, namespace)
        tests_run = _call_sample_tests(namespace, request)
    stdout = out.getvalue()

    emulators = [mailru, okru, *(v for v in namespace.values() if isinstance(v, BaseEmulator))]
    for emu in emulators:
        assert emu.errors == [], f"{block.name}: the emulator failed:\n{emu.errors[0]}"
    for variable, emu in (("MAILRU_BASE_URL", mailru), ("OK_BASE_URL", okru)):
        if variable in block.code:
            assert emu.requests, f"{block.name}: nothing reached {variable}'s emulator"
    missing = _named_api_methods(block.code) - _called_methods(emulators)
    assert not missing, f"{block.name}: these calls never reached an emulator: {sorted(missing)}"
    if "def test_" in block.code:
        assert tests_run, f"{block.name}: defines a test function that was not run"
    for prefix, check in EXPECTATIONS.items():
        if block.intro.startswith(prefix):
            check(block, stdout, namespace)


#: Files a sample opens as a user would have them in the working directory (a minimal JPEG).
SAMPLE_FILES = {"holiday.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"}


def _chain_of(block: Block) -> list[Block]:
    """``block`` preceded by the samples it continues ("continues the ... sample above"): the
    Python block before it in the same document, and the ones that one continues."""
    chain = [block]
    while "continues the" in (chain[0].intro + chain[0].code.split("\n", 1)[0]):
        earlier = [
            b for b in BLOCKS
            if b.kind == "python" and b.path == chain[0].path and b.line < chain[0].line
        ]
        assert earlier, f"{chain[0].name} continues a sample, but none comes before it"
        chain.insert(0, earlier[-1])
    return chain


def _call_sample_tests(namespace: dict[str, Any], request: pytest.FixtureRequest) -> int:
    """Run the sample's ``test_*`` functions, passing the fixtures their parameters name."""
    count = 0
    for name, func in list(namespace.items()):
        if name.startswith("test_") and callable(func):
            params = inspect.signature(func).parameters
            func(**{param: request.getfixturevalue(param) for param in params})
            count += 1
    return count


def _check_emulator_sample(block: Block, stdout: str, namespace: dict[str, Any]) -> None:
    """The faults the sample queues are injected, and its printed counters say so."""
    emu = namespace["emu"]
    queued = sum(int(n) for n in re.findall(r"\.(?:fail_next|flood_next)\((\d+)", block.code))
    assert queued > 0, "the emulator sample no longer queues faults"
    assert emu.pending_faults == 0, "queued faults were never triggered"
    printed = re.findall(r"'faults_injected': (\d+)", stdout)
    assert printed, stdout
    assert int(printed[-1]) == emu.counters["faults_injected"] == queued
    assert "'uid': '1324730981306483817'" in stdout
    if "expire_token" in block.code:
        assert "expired: 102" in stdout


def _check_vectors_reproduced(block: Block, stdout: str, namespace: dict[str, Any]) -> None:
    """The library prints every signature and URL of the worked examples above the sample."""
    vectors = [
        b for b in BLOCKS
        if b.path == block.path and b.section == block.section and b.kind == "vector"
    ]
    assert vectors
    printed = stdout.splitlines()
    for vector in vectors:
        for line in vector.lines():
            match = _ARROW.match(line)
            if match and match.group(1) == "sig":
                assert f"sig={match.group(2)}" in stdout, f"{vector.name}: {line}"
            if line.startswith("GET "):
                assert line[4:] in printed, f"{vector.name}: {line}"


#: Extra checks for particular samples, keyed by the start of their introducing paragraph.
EXPECTATIONS: dict[str, Callable[[Block, str, dict[str, Any]], None]] = {
    "In Python": _check_emulator_sample,
    "``session.prepare_call()`` signs without sending": _check_vectors_reproduced,
}

# ---- worked signature examples -------------------------------------------------------------------

_ARROW = re.compile(r"^→\s*(\w+)\s*=\s*([0-9a-f]{32})(?:\s+\(.*\))?$")


def _run_vector(block: Block, request: pytest.FixtureRequest) -> None:
    """``STRING`` / ``→ name=md5(STRING)`` pairs; a ``GET`` URL carries the same signature."""
    values: dict[str, str] = {}
    hashed: str | None = None
    signed = ""
    urls = []
    for line in block.lines():
        match = _ARROW.match(line)
        if match:
            assert hashed is not None, f"{block.name}: {line!r} follows no string"
            assert hashlib.md5(hashed.encode()).hexdigest() == match.group(2), line
            values[match.group(1)] = match.group(2)
            signed = hashed if match.group(1) == "sig" else signed
            hashed = None
        elif line.startswith("GET "):
            urls.append(line[4:])
        else:
            if "secret" in values:  # a derived secret is what the next string ends with
                assert line.endswith(values["secret"]), line
            hashed = line
    assert "sig" in values, f"{block.name}: no '→ sig=' line"
    for url in urls:
        sent = dict(parse_qsl(urlsplit(url).query))
        assert sent.pop("sig") == values["sig"]
        for key, value in sent.items():
            assert f"{key}={value}" in signed, f"{key}={value} is sent but not signed"


# ---- call-signature listings ---------------------------------------------------------------------


def _split_comment(line: str) -> tuple[str, str]:
    for token in tokenize.generate_tokens(io.StringIO(line).readline):
        if token.type == tokenize.COMMENT:
            return line[: token.start[1]].strip(), token.string[1:].strip()
    return line.strip(), ""


def _check_signature(obj: Any, names: list[str], defaults: dict[str, Any], where: str) -> None:
    """``names`` lead the positional parameters; the rest are optional; listed defaults hold."""
    params = [
        p
        for p in inspect.signature(obj).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert [p.name for p in params[: len(names)]] == names, f"{where}: {inspect.signature(obj)}"
    for param in params[len(names) :]:
        assert param.default is not param.empty, f"{where}: {param.name} is required too"
    by_name = {p.name: p for p in params}
    for name, value in defaults.items():
        assert by_name[name].default == value, f"{where}: {name} defaults to something else"


def _run_signatures(block: Block, request: pytest.FixtureRequest) -> None:
    module = __import__(block.argument, fromlist=["_"])
    listed: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for line in block.lines():
        code, comment = _split_comment(line)
        where = f"{block.name}: {line.strip()}"
        same = re.fullmatch(r"(\w+(?:\s*/\s*\w+)+)\s*\(same as (\w+)\*\)", code)
        if same:
            for name in re.split(r"\s*/\s*", same.group(1)):
                # PasswordClientSession is listed as ImplicitClientSession: swap the first word.
                like = re.sub(r"^[A-Z][a-z]*", same.group(2), name)
                assert like in listed, f"{where}: {like} is not listed above"
                template = listed[like]
                _check_signature(getattr(module, name), *template, where)
            continue
        call = ast.parse(code, mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), where
        target = getattr(module, call.func.id)
        if not call.args and not call.keywords:  # full_scope()   # 'its result'
            assert target() == ast.literal_eval(comment), where
            continue
        names = [arg.id for arg in call.args if isinstance(arg, ast.Name)]
        assert len(names) == len(call.args), where
        defaults = {kw.arg or "": ast.literal_eval(kw.value) for kw in call.keywords}
        template = ([*names, *defaults], defaults)
        listed[call.func.id] = template
        _check_signature(target, *template, where)
        also = re.fullmatch(r"and (\w+)", comment)
        if also:
            _check_signature(getattr(module, also.group(1)), *template, where)


# ---- shell commands ------------------------------------------------------------------------------


def _commands(block: Block) -> list[list[str]]:
    """Each command of the block as argv (``&&`` chains split, comments dropped)."""
    commands = []
    for line in block.lines():
        words = shlex.split(line.removeprefix("$ "), comments=True)
        current: list[str] = []
        for word in words:
            if word == "&&":
                commands.append(current)
                current = []
            else:
                current.append(word)
        if current:
            commands.append(current)
    return commands


def _argv(command: list[str], block: Block) -> list[str]:
    program, *args = command
    if program in ("python", "python3"):
        return [sys.executable, *args]
    if program == "mailru-sync":
        script = Path(sys.executable).with_name("mailru-sync")
        return (
            [str(script), *args]
            if script.exists()
            else [sys.executable, "-m", "mailru_sync", *args]
        )
    pytest.fail(
        f"{block.name}: cannot run {program!r} offline; mark the block "
        "'.. readme-test: skip REASON' if it needs the network"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_emulator_command(argv: list[str], where: str) -> None:
    """Start it, read its JSON announcement, call it with what it announced, stop it."""
    port = None
    if "--port" in argv:  # the port is the origin: substitute a free one
        port = _free_port()
        argv[argv.index("--port") + 1] = str(port)
    platform = argv[argv.index("--platform") + 1] if "--platform" in argv else "mailru"
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, f"{where}: no announcement within 30 s"
        doc = json.loads(proc.stdout.readline())
        assert doc["platform"] == platform
        assert {"platform", "url", "app", "user", "code", "redirect_uri"} <= set(doc)
        if port is not None:
            assert doc["url"] == f"http://localhost:{port}"
        _call_announced(doc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _call_announced(doc: dict[str, Any]) -> None:
    """A signed call with the announced credentials (retries ride out ``--fail-rate``)."""
    app, user, url = doc["app"], doc["user"], doc["url"]
    if doc["platform"] == "ok":
        ok_session = ok.ClientSession(
            app["app_id"],
            app["app_key"],
            user["access_token"],
            user["session_secret_key"],
            base_url=url,
            max_retries=10,
        )
        with ok_session:
            assert ok.API(ok_session).users.getCurrentUser()["uid"] == user["uid"]
        return
    session = mailru_sync.ClientSession(
        app["app_id"],
        app["private_key"],
        user["access_token"],
        user["uid"],
        base_url=url,
        max_retries=10,
    )
    with session:
        assert mailru_sync.API(session).users.getInfo()[0]["uid"] == user["uid"]


def _run_shell(block: Block, request: pytest.FixtureRequest) -> None:
    commands = _commands(block)
    assert commands, f"{block.name}: no command"
    for command in commands:
        argv = _argv(command, block)
        where = f"{block.name}: {shlex.join(command)}"
        if "emulator" in command:
            _run_emulator_command(argv, where)
            continue
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
        )
        assert proc.returncode == 0, f"{where}\n{proc.stdout}\n{proc.stderr}"


def _run_script(block: Block, request: pytest.FixtureRequest) -> None:
    """The block as one ``bash -e`` script in a scratch directory, as a user would paste it.

    ``python`` is this interpreter, port 8080 (the origin) becomes a free port, and background
    jobs the script leaves running are killed when it ends.
    """
    scratch: Path = request.getfixturevalue("tmp_path")
    bin_dir = scratch / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"  # a wrapper, not a symlink: a venv is found from the path run
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    script = block.code.replace("8080", str(_free_port()))
    wrapped = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        ["bash", "-c", wrapped],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"{block.name}\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip(), f"{block.name}: the script printed nothing"


# ---- commands run elsewhere ----------------------------------------------------------------------


def _ci_patterns() -> list[str]:
    return re.findall(r"readme_command '([^']+)'", (ROOT / ".ci" / "run").read_text("utf-8"))


def _run_ci(block: Block, request: pytest.FixtureRequest) -> None:
    """Each line is one that ``.ci/run`` picks out of README.rst (and runs)."""
    assert block.path == README, f"{block.name}: .ci/run takes its commands from README.rst only"
    patterns = _ci_patterns()
    text = README.read_text(encoding="utf-8")
    for line in block.lines():
        matching = [p for p in patterns if re.fullmatch(p, line)]
        assert len(matching) == 1, f"{block.name}: .ci/run does not run {line!r}"
        # .ci/run insists on exactly one README line per pattern.
        assert len(re.findall(rf"(?m)^    {matching[0]}$", text)) == 1


def _run_skip(block: Block, request: pytest.FixtureRequest) -> None:
    """Only package installs may be skipped (they need the index); their extras must exist."""
    assert block.argument, f"{block.name}: a skipped block must say why"
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    extras = set(config["options.extras_require"])
    for command in _commands(block):
        install = command[:2] == ["pip", "install"] or command[1:4] == ["-m", "pip", "install"]
        assert install, f"{block.name}: only installs may be skipped, not {shlex.join(command)}"
        for target in command[command.index("install") + 1 :]:
            for extra in re.findall(r"\[([\w,]+)\]", target):
                assert set(extra.split(",")) <= extras, f"{block.name}: no extra {extra!r}"
    pytest.skip(f"{block.document}:{block.line}: {block.argument}")


def _run_ci_step(block: Block, request: pytest.FixtureRequest) -> None:
    """Development commands (lint, docs, packaging): each line is one ``.ci/run`` runs as written.

    Running them here would repeat minutes of CI inside the suite; checking them against the
    script keeps what the contributing guide tells people to type the same as what CI does.
    """
    script = {line.strip() for line in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()}
    for line in block.lines():
        command = line.split("  #", 1)[0].strip()
        assert command in script, f"{block.name}: .ci/run has no line {command!r}"


def _run_benchmark(block: Block, request: pytest.FixtureRequest) -> None:
    """The benchmark commands: the requirements file exists and the script takes the options.

    A full run takes minutes, so the run itself is ``tests/test_benchmarks_smoke.py``
    (``--quick``); here each line must be one of those two commands, as written.
    """
    for command in _commands(block):
        if command[:3] == ["pip", "install", "-r"]:
            assert (ROOT / command[3]).is_file(), f"{block.name}: no {command[3]}"
            continue
        assert command[:2] == ["python", "benchmarks/run.py"], f"{block.name}: {command}"
        proc = subprocess.run(
            [sys.executable, *command[1:], "--help"],
            capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
        )
        assert proc.returncode == 0 and "--quick" in proc.stdout, proc.stderr


def _run_excerpt(block: Block, request: pytest.FixtureRequest) -> None:
    """An excerpt: every line is a line of the named file of the project (indentation aside)."""
    source = ROOT / block.argument.strip()
    assert source.is_file(), f"{block.name}: {block.argument!r} is not a file of the project"
    lines = {line.strip() for line in source.read_text(encoding="utf-8").splitlines()}
    for line in block.lines():
        assert line.strip() in lines, f"{block.name}: {line.strip()!r} is not in {source}"


def _run_tested_by(block: Block, request: pytest.FixtureRequest) -> None:
    """Run elsewhere: the named test module exists, names this document, and says why."""
    test, _, reason = block.argument.partition(" ")
    module = ROOT / test
    assert module.is_file() and test.startswith("tests/"), f"{block.name}: no test {test!r}"
    assert reason.strip(), f"{block.name}: say why it is tested by {test}"
    here = block.path.relative_to(ROOT).as_posix()
    named = {module, *module.parent.glob("*.py")}
    assert any(here in path.read_text(encoding="utf-8") for path in named), (
        f"{block.name}: {test} (or its package) never mentions {here}"
    )


RUNNERS: dict[str, Callable[[Block, pytest.FixtureRequest], None]] = {
    "python": _run_python,
    "shell": _run_shell,
    "script": _run_script,
    "vector": _run_vector,
    "signatures": _run_signatures,
    "ci": _run_ci,
    "ci-step": _run_ci_step,
    "skip": _run_skip,
    "benchmark": _run_benchmark,
    "excerpt": _run_excerpt,
    "tested-by": _run_tested_by,
}

# ---- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_readme_block(block: Block, request: pytest.FixtureRequest) -> None:
    runner = RUNNERS.get(block.kind)
    assert runner, f"{block.name}: unknown kind {block.kind!r}; known: {sorted(RUNNERS)}"
    runner(block, request)


@pytest.mark.parametrize("path", documents(), ids=lambda path: path.name)
def test_every_literal_block_is_found_and_has_a_runner(path: Path) -> None:
    openers = opener_lines(path.read_text(encoding="utf-8"))
    found = [block for block in BLOCKS if block.path == path]
    assert len(found) == len(openers), f"{path.name}: a literal block escaped the parser"
    assert {block.kind for block in BLOCKS} <= set(RUNNERS)
    assert len({block.name for block in BLOCKS}) == len(BLOCKS)


def test_every_expectation_names_one_python_sample() -> None:
    for prefix in EXPECTATIONS:
        found = [b for b in BLOCKS if b.kind == "python" and b.intro.startswith(prefix)]
        assert len(found) == 1, prefix


def test_quickstart_commands_are_the_ones_ci_runs() -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    text = README.read_text(encoding="utf-8")
    assert "    python -m pip install . && python -m mailru_sync demo\n" in text
    assert "    python -m pip install -e '.[test]' && python -m pytest -q\n" in text
    assert "readme_command" in ci


def test_readme_links_into_the_docs_name_real_pages() -> None:
    """The index page's links into the documentation site point at pages that exist."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    site = dict(
        line.split(" = ", 1)
        for line in config["metadata"]["project_urls"].strip().splitlines()
    )["Documentation"]
    text = README.read_text(encoding="utf-8")
    pages = re.findall(rf"{re.escape(site)}en/latest/([\w/-]+)\.html", text)
    assert len(pages) >= 8, "README.rst links into the documentation"
    for page in pages:
        assert (ROOT / "docs" / f"{page}.rst").is_file(), f"README.rst links to a missing {page}"
    assert site in text
