"""Issue 12, "done when": the ``mailru-sync`` CLI against the emulator CLI, all in subprocesses.

As an operator's shell would: start ``python -m mailru_sync emulator``, log in with the password
from the environment, call, expire the token on the running emulator (``emulator control``), call
again (the CLI refreshes and saves the new token), revoke the refresh token, and call once more:
exit 3 with a last stderr line that says to log in again. No secret may reach stdout or stderr of
any of these processes, in any spelling a URL or a form could give it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from tests.emulator_process import EmulatorProcess, emulator_process, run_module

#: Per platform: the environment of the app's credentials, the login's name, the call's args.
PLATFORMS: dict[str, dict[str, Any]] = {
    "mailru": {
        "env": {"MAILRU_APP_ID": "app_id", "MAILRU_SECRET_KEY": "secret_key"},
        "password_env": "MAILRU_PASSWORD",
        "user": "email",
    },
    "ok": {
        "env": {
            "OK_APP_ID": "app_id",
            "OK_APP_KEY": "app_key",
            "OK_APP_SECRET_KEY": "app_secret_key",
        },
        "password_env": "OK_PASSWORD",
        "user": "login",
    },
}


def _saved_token(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8"))["token"])


def _secrets(emu: EmulatorProcess, tokens: list[dict[str, Any]]) -> set[str]:
    """Every secret in play, in every spelling a query string or a form body could use."""
    app, user = emu.info["app"], emu.info["user"]
    # OK's app_key is the application's *public* key, sent in the clear with every call (it is
    # application_key in each URL), like app_id: not a secret.
    values = {str(v) for k, v in app.items() if k not in ("app_id", "app_key")}
    values |= {str(user[k]) for k in user if k not in ("email", "login", "uid")}
    values.add(emu.info["control"]["token"])
    values.add(emu.info["code"])
    for token in tokens:
        values |= {
            str(token[k])
            for k in ("access_token", "refresh_token", "session_secret_key")
            if token.get(k)
        }
    return {spelled for v in values for spelled in (v, quote(v, safe=""), quote_plus(v))}


class _Run:
    """One platform's CLI runs against one emulator process; every output kept for the check."""

    def __init__(self, emu: EmulatorProcess, platform: str, token_file: Path) -> None:
        spec = PLATFORMS[platform]
        self.emu, self.token_file = emu, token_file
        self.user = emu.info["user"]
        self.env = {name: str(emu.info["app"][key]) for name, key in spec["env"].items()}
        self.env[spec["password_env"]] = self.user["password"]
        self.login_name = self.user[spec["user"]]
        self.common = [
            "--platform",
            platform,
            "--base-url",
            emu.url,
            "--token-file",
            str(token_file),
        ]
        self.method = ["users.getInfo"]
        if platform == "ok":
            self.method += [f"uids={self.user['uid']}", "fields=uid,name"]
        self.outputs: list[subprocess.CompletedProcess[str]] = []
        self.tokens: list[dict[str, Any]] = []

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = run_module(*args, env=self.env)
        self.outputs.append(done)
        return done

    def control(self, *args: str, stdin: str | None = None) -> None:
        done = self.emu.control(*args, stdin=stdin)
        self.outputs.append(done)
        assert done.returncode == 0, done.stderr

    def saved(self) -> dict[str, Any]:
        token = dict(json.loads(self.token_file.read_text(encoding="utf-8"))["token"])
        self.tokens.append(token)
        return token

    def login(self, *args: str) -> dict[str, Any]:
        done = self.cli("login", *args, *self.common)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["saved"] == str(self.token_file)
        return self.saved()

    def call_ok(self, *flags: str) -> subprocess.CompletedProcess[str]:
        done = self.cli("call", *self.method, *self.common, *flags)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)[0]["uid"] == self.user["uid"]
        return done

    def call_needs_login(self) -> None:
        done = self.cli("call", *self.method, *self.common)
        assert done.returncode == 3, done.stderr
        assert done.stdout == ""
        assert done.stderr.strip().splitlines()[-1] == (
            "mailru-sync: log in again: mailru-sync login"
        )

    def assert_no_secret_shown(self) -> None:
        secrets = _secrets(self.emu, self.tokens)
        for done in self.outputs:
            for secret in secrets:
                assert secret not in done.stdout, (done.args, "stdout")
                assert secret not in done.stderr, (done.args, "stderr")

    def refresh_then_revoke(self, first: dict[str, Any]) -> None:
        """Expire on the emulator -> the call refreshes and saves; revoke -> exit 3."""
        self.call_ok()
        self.control("expire-token", "-", stdin=first["access_token"])
        second = self.call_ok("-vv")  # DEBUG logs must be redacted too
        assert "access token refreshed" in second.stderr
        renewed = self.saved()
        assert renewed["access_token"] != first["access_token"]
        assert renewed.get("refresh_token")

        self.control("expire-token", "-", stdin=renewed["access_token"])
        self.control("revoke-refresh-token", "-", stdin=renewed["refresh_token"])
        self.call_needs_login()
        assert self.saved()["access_token"] == renewed["access_token"]


def test_mailru_password_login_refresh_and_revocation(tmp_path: Path) -> None:
    with emulator_process(tmp_path, "--platform", "mailru") as emu:
        run = _Run(emu, "mailru", tmp_path / "token.json")
        first = run.login("--grant", "password", "--user", run.login_name)
        run.refresh_then_revoke(first)
        run.assert_no_secret_shown()
    assert len(run.outputs) == 7


def test_ok_logins_refresh_and_revocation(tmp_path: Path) -> None:
    with emulator_process(tmp_path, "--platform", "ok") as emu:
        run = _Run(emu, "ok", tmp_path / "token.json")
        # OK's password login is auth.login: a session key and no refresh token (apiok.ru;
        # aiookru's PasswordSession reads none), so once it expires only a new login helps.
        first = run.login("--grant", "password", "--user", run.login_name)
        assert not first.get("refresh_token")
        run.call_ok()
        run.control("expire-token", "-", stdin=first["access_token"])
        run.call_needs_login()

        # The code grant is OK's way to a refresh token: the code announced by the emulator.
        coded = run.login(
            "--grant",
            "code",
            "--code",
            emu.info["code"],
            "--redirect-uri",
            emu.info["redirect_uri"],
        )
        run.refresh_then_revoke(coded)
        run.assert_no_secret_shown()
    assert len(run.outputs) == 11
