"""Issue 20: ``mailru-sync`` behaves like git, gh and aws in a shell.

Every test runs the installed console script in a subprocess, as a user's shell or cron would:
global options on either side of the command, a pipe closed early, Ctrl-C, no terminal, a
non-UTF-8 stdout. None of these may print a traceback or damage the saved token, and every
failure ends with a stderr line that says what to do.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mailru_sync.testing import MailruEmulator, OkEmulator


def _script() -> str:
    beside = Path(sys.executable).with_name("mailru-sync")
    found = str(beside) if beside.exists() else shutil.which("mailru-sync")
    if not found:
        pytest.fail("the mailru-sync console script is not installed: pip install -e .")
    return found


SCRIPT = _script()
#: A UTF-8 stdout whatever the test runner's locale (the LANG=C test overrides it).
UTF8 = {"PYTHONIOENCODING": "utf-8"}


def run(
    *args: str, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], env={**os.environ, **UTF8, **(env or {})},
                          capture_output=True, text=True, timeout=120, check=False, **kwargs)


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else ""


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "Warning" not in stderr, stderr


@pytest.fixture
def mailru(mailru_emulator: MailruEmulator, tmp_path: Path) -> dict[str, Any]:
    """A logged-in Mail.ru CLI: its environment, global options and token file."""
    emu = mailru_emulator
    token_file = tmp_path / "token.json"
    env = {"MAILRU_APP_ID": str(emu.app.app_id), "MAILRU_SECRET_KEY": emu.app.secret_key,
           "MAILRU_PASSWORD": emu.user.password}
    common = ["--base-url", emu.url, "--token-file", str(token_file)]
    login = run("login", *common, "--user", emu.user.email, env=env)
    assert login.returncode == 0, login.stderr
    emu.clear_log()
    return {"emu": emu, "env": env, "common": common, "token_file": token_file}


@pytest.fixture
def okru(ok_emulator: OkEmulator, tmp_path: Path) -> dict[str, Any]:
    emu = ok_emulator
    token_file = tmp_path / "ok.json"
    token_file.write_text(json.dumps({"format": "mailru_sync.token/1",
                                      "token": {"access_token": emu.user.access_token}}))
    token_file.chmod(0o600)  # a token file others may read is refused
    env = {"OK_APP_ID": str(emu.app.app_id), "OK_APP_KEY": emu.app.app_key,
           "OK_APP_SECRET_KEY": emu.app.app_secret_key}
    return {"emu": emu, "env": env, "token_file": token_file,
            "common": ["--base-url", emu.url, "--token-file", str(token_file)]}


# --- global options on either side of the command ------------------------------------------------


def test_global_options_before_the_command(okru: dict[str, Any]) -> None:
    before = run("--platform", "ok", *okru["common"], "call", "users.getCurrentUser",
                 env=okru["env"])
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["uid"] == okru["emu"].user.uid
    emu, no_env = okru["emu"], {name: "" for name in okru["env"]}
    keys = run("--platform", "ok", "--app-id", str(emu.app.app_id), "--app-key",
               emu.app.app_key, "--secret-key", emu.app.app_secret_key, *okru["common"],
               "call", "users.getCurrentUser", env=no_env)
    assert keys.returncode == 0, keys.stderr
    assert "visible to other users" in keys.stderr  # a secret as a flag is still warned about


def test_global_options_after_the_command_and_mixed(okru: dict[str, Any]) -> None:
    after = run("call", "users.getCurrentUser", "--platform", "ok", *okru["common"],
                env=okru["env"])
    mixed = run("--platform", "ok", "call", "users.getCurrentUser", *okru["common"],
                env=okru["env"])
    for result in (after, mixed):
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["uid"] == okru["emu"].user.uid


def test_verbose_before_the_command_and_counted_on_both_sides(mailru: dict[str, Any]) -> None:
    emu = mailru["emu"]
    emu.fail_next(1, "503")  # a retried read: logged at INFO
    info = run("-v", "call", "users.getInfo", *mailru["common"], env=mailru["env"])
    assert info.returncode == 0, info.stderr
    assert "INFO " in info.stderr and "DEBUG " not in info.stderr
    debug = run("-v", "call", "users.getInfo", "-v", *mailru["common"], env=mailru["env"])
    assert debug.returncode == 0 and "DEBUG " in debug.stderr
    emu.fail_next(1, "503")
    quiet = run("call", "users.getInfo", *mailru["common"], env=mailru["env"])
    assert quiet.returncode == 0 and quiet.stderr == ""


# --- a pipe closed early, Ctrl-C ------------------------------------------------------------------


def test_a_closed_pipe_ends_quietly_and_keeps_the_token(mailru: dict[str, Any]) -> None:
    saved = mailru["token_file"].read_bytes()
    shell = (f"'{SCRIPT}' call stream.get --all --page-size 100 "
             + " ".join(f"'{part}'" for part in mailru["common"])
             + ' | head -1; echo "status=${PIPESTATUS[0]}" >&2')
    done = subprocess.run(["bash", "-c", shell], env={**os.environ, **UTF8, **mailru["env"]},
                          capture_output=True, text=True, timeout=120, check=False)
    assert len(done.stdout.splitlines()) == 1
    assert json.loads(done.stdout)["id"]
    assert done.stderr.strip() in ("status=0", "status=141"), done.stderr
    assert mailru["token_file"].read_bytes() == saved


def test_a_reader_gone_before_any_output_is_no_error(mailru: dict[str, Any]) -> None:
    process = subprocess.Popen(
        [SCRIPT, "call", "users.getInfo", *mailru["common"]],
        env={**os.environ, **UTF8, **mailru["env"]}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the command has written anything
    stderr = process.stderr.read()
    assert process.wait(60) in (0, 141)
    assert stderr == ""


def test_ctrl_c_exits_130_with_one_line_and_keeps_the_token(mailru: dict[str, Any]) -> None:
    emu, saved = mailru["emu"], mailru["token_file"].read_bytes()
    emu.fail_next(1, "hang", seconds=25)
    process = subprocess.Popen(
        [SCRIPT, "call", "users.getInfo", *mailru["common"]],
        env={**os.environ, **UTF8, **mailru["env"]}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not [r for r in emu.requests if r.fault == "hang"]:  # the call is waiting now
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stdout == ""
    assert [line for line in stderr.splitlines() if line.strip()] == ["mailru-sync: interrupted"]
    assert mailru["token_file"].read_bytes() == saved


# --- no terminal, LANG=C --------------------------------------------------------------------------


def test_login_without_a_terminal_or_a_password_says_what_to_set(
    mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    emu = mailru_emulator
    env = {**os.environ, **UTF8, "MAILRU_APP_ID": str(emu.app.app_id),
           "MAILRU_SECRET_KEY": emu.app.secret_key}
    env.pop("MAILRU_PASSWORD", None)
    done = subprocess.run(
        [SCRIPT, "login", "--user", emu.user.email, "--base-url", emu.url,
         "--token-file", str(tmp_path / "t.json")],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        start_new_session=True,  # no controlling terminal, as under cron
    )
    assert done.returncode == 2
    no_traceback(done.stderr)
    assert last_line(done) == (
        "mailru-sync: set $MAILRU_PASSWORD (or $OK_PASSWORD) or run in a terminal"
    )
    assert not (tmp_path / "t.json").exists()
    assert emu.requests == []


def test_lang_c_stdout_gets_ascii_escaped_json(mailru: dict[str, Any]) -> None:
    c_locale = {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}
    done = subprocess.run([SCRIPT, "token", "show", *mailru["common"]],
                          env={**env, **mailru["env"], **c_locale}, capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    done.stdout.decode("ascii")  # pure ASCII
    shown = json.loads(done.stdout)
    assert shown["access_token"].endswith("\u2026")  # the escape decodes to the ellipsis


def test_token_show_prints_the_masked_token_readably(mailru: dict[str, Any]) -> None:
    done = run("token", "show", *mailru["common"], env=mailru["env"])
    assert done.returncode == 0, done.stderr
    saved = json.loads(mailru["token_file"].read_text())["token"]["access_token"]
    assert f'"{saved[:4]}\u2026"' in done.stdout and "\\u2026" not in done.stdout
    assert saved not in done.stdout


# --- local conditions and advice ------------------------------------------------------------------


def test_no_token_saved_is_not_a_platform_error(okru: dict[str, Any]) -> None:
    okru["token_file"].unlink()
    done = run("call", "users.getCurrentUser", "--platform", "ok", *okru["common"],
               env=okru["env"])
    assert done.returncode == 3
    assert "error 1" not in done.stderr and "102" not in done.stderr
    assert f"no token saved in {okru['token_file']}" in done.stderr
    assert last_line(done) == "mailru-sync: log in first: mailru-sync login"


def test_an_unreadable_token_file_is_not_a_platform_error(okru: dict[str, Any]) -> None:
    okru["token_file"].write_text("{not json")
    done = run("token", "show", "--platform", "ok", *okru["common"], env=okru["env"])
    assert done.returncode == 3
    assert "error 1" not in done.stderr
    no_traceback(done.stderr)
    assert "log in again" in last_line(done)


def test_a_method_with_a_space_says_to_write_it_dotted(okru: dict[str, Any]) -> None:
    done = run("call", "users getCurrentUser", "--platform", "ok", *okru["common"],
               env=okru["env"])
    assert done.returncode == 2
    assert "keys" not in done.stderr
    assert last_line(done) == (
        "mailru-sync: write it dotted, e.g. mailru-sync call users.getCurrentUser"
    )
    assert okru["emu"].requests == []


@pytest.mark.parametrize(
    "args",
    [["frobnicate"], ["call"], ["--platform", "vk", "call", "x.y"], ["token", "shw"],
     ["call", "users.getInfo", "--max-items", "3"]],
)
def test_every_usage_failure_ends_with_advice(args: list[str], tmp_path: Path) -> None:
    done = run(*args, "--token-file", str(tmp_path / "t.json"),
               env={"MAILRU_APP_ID": "1", "MAILRU_SECRET_KEY": "a" * 32})
    assert done.returncode == 2
    no_traceback(done.stderr)
    advice = last_line(done)
    assert advice.startswith("mailru-sync: ") and ("--help" in advice or "add --all" in advice)
