"""Issue 12 (part): the ``mailru-sync`` command line, run as a cron job would (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailru_sync import __version__
from mailru_sync.testing import MailruEmulator, OkEmulator


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailru_sync", *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("command", [[], ["login"], ["call"], ["token"], ["demo"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout
    assert "exit codes" in result.stdout
    assert "Done in" not in result.stdout  # demo --help prints help, it does not run


def test_version_and_usage_errors() -> None:
    assert cli("--version").stdout.strip() == f"mailru-sync {__version__}"
    assert cli("frobnicate").returncode == 2
    assert cli().returncode == 2


def test_login_call_refresh_and_revocation(mailru_emulator: MailruEmulator,
                                           tmp_path: Path) -> None:
    emu = mailru_emulator
    token_file = tmp_path / "token.json"
    env = {"MAILRU_APP_ID": str(emu.app.app_id), "MAILRU_SECRET_KEY": emu.app.secret_key,
           "MAILRU_PASSWORD": emu.user.password}
    common = ["--base-url", emu.url, "--token-file", str(token_file)]
    outputs: list[subprocess.CompletedProcess[str]] = []

    login = cli("login", *common, "--user", emu.user.email, env=env)
    outputs.append(login)
    assert login.returncode == 0, login.stderr
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"

    first = cli("call", "users.getInfo", *common, env=env)
    outputs.append(first)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)[0]["uid"] == emu.user.uid

    saved = json.loads(token_file.read_text())["token"]
    emu.expire_token(saved["access_token"])
    second = cli("call", "users.getInfo", *common, "-v", env=env)
    outputs.append(second)
    assert second.returncode == 0, second.stderr
    assert "access token refreshed" in second.stderr
    renewed = json.loads(token_file.read_text())["token"]
    assert renewed["access_token"] != saved["access_token"]

    emu.expire_token(renewed["access_token"])
    emu.revoke_refresh_token(renewed["refresh_token"])
    third = cli("call", "users.getInfo", *common, env=env)
    outputs.append(third)
    assert third.returncode == 3
    assert "mailru-sync login" in third.stderr.strip().splitlines()[-1]

    secrets = [emu.user.password, emu.app.secret_key, saved["access_token"],
               saved["refresh_token"], renewed["access_token"]]
    for output in outputs:
        for secret in secrets:
            assert secret not in output.stdout and secret not in output.stderr


def test_exit_codes_for_api_errors_raw_and_missing_login(
    ok_emulator: OkEmulator, tmp_path: Path
) -> None:
    emu = ok_emulator
    env = {"OK_APP_ID": str(emu.app.app_id), "OK_APP_KEY": emu.app.app_key,
           "OK_APP_SECRET_KEY": emu.app.app_secret_key}
    common = ["--platform", "ok", "--base-url", emu.url, "--token-file",
              str(tmp_path / "ok.json")]
    missing = cli("call", "users.getCurrentUser", *common, env=env)
    assert missing.returncode == 3 and "mailru-sync login" in missing.stderr
    (tmp_path / "ok.json").write_text(json.dumps({
        "format": "mailru_sync.token/1",
        "token": {"access_token": emu.user.access_token}}))
    (tmp_path / "ok.json").chmod(0o600)  # a token file others may read is refused
    assert cli("call", "users.getCurrentUser", *common, env=env).returncode == 0
    unknown = cli("call", "no.suchMethod", *common, env=env)
    assert unknown.returncode == 4
    raw = cli("call", "no.suchMethod", "--raw", *common, env=env)
    assert raw.returncode == 0 and "error_code" in json.loads(raw.stdout)
    shown = cli("token", "show", *common, env=env)
    assert shown.returncode == 0 and emu.user.access_token not in shown.stdout
    assert cli("token", "forget", *common, env=env).returncode == 0
    assert not (tmp_path / "ok.json").exists()
    no_keys = cli("call", "users.getCurrentUser", "--platform", "ok",
                  env={"OK_APP_ID": "", "OK_APP_SECRET_KEY": ""})
    assert no_keys.returncode == 2 and "OK_APP_ID" in no_keys.stderr


def test_call_all_pages_a_listing_as_json_lines(
    mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    emu = mailru_emulator
    env = {"MAILRU_APP_ID": str(emu.app.app_id), "MAILRU_SECRET_KEY": emu.app.secret_key,
           "MAILRU_PASSWORD": emu.user.password}
    common = ["--base-url", emu.url, "--token-file", str(tmp_path / "token.json")]
    assert cli("login", *common, "--user", emu.user.email, env=env).returncode == 0
    emu.clear_log()

    listing = cli("call", "stream.get", "--all", "--page-size", "100", *common, env=env)
    assert listing.returncode == 0, listing.stderr
    ids = [json.loads(line)["id"] for line in listing.stdout.splitlines()]
    assert len(ids) == len(set(ids)) == 581  # the seeded world's whole feed, each event once
    pages = [r for r in emu.requests if r.params.get("method") == "stream.get"]
    assert len(pages) == 6 + 1  # ceil(581 / 100) pages, then the empty page that ends it

    first = cli("call", "stream.get", "--all", "--max-items", "7", *common, env=env)
    assert [json.loads(line)["id"] for line in first.stdout.splitlines()] == ids[:7]

    unknown = cli("call", "users.getInfo", "--all", *common, env=env)
    assert unknown.returncode == 2 and "stream.get" in unknown.stderr  # lists what pages
    assert cli("call", "stream.get", "--max-items", "3", *common, env=env).returncode == 2
    assert cli("call", "stream.get", "--all", "--raw", *common, env=env).returncode == 2
