"""examples/cron_post.py, run as cron would (a subprocess) against the emulator, three days."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mailru_sync.stores import FileStore
from mailru_sync.testing import MailruEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cron_post.py"


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLE)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def test_cron_job_refreshes_then_asks_for_a_new_login(
    mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    emu = mailru_emulator
    store = FileStore(tmp_path / "token.json")
    store.save({"access_token": emu.user.access_token, "refresh_token": emu.user.refresh_token,
                "x_mailru_vid": emu.user.uid})
    env = {"MAILRU_APP_ID": str(emu.app.app_id), "MAILRU_SECRET_KEY": emu.app.secret_key,
           "MAILRU_BASE_URL": emu.url, "TOKEN_FILE": str(store.path)}
    secrets = [emu.user.access_token, emu.user.refresh_token, emu.app.secret_key]

    day1 = run(env)
    assert day1.returncode == 0, day1.stderr
    assert "posted" in day1.stdout

    emu.expire_token(emu.user.access_token)  # the next day the access token has expired
    day2 = run(env)
    assert day2.returncode == 0, day2.stderr
    saved = store.load()
    assert saved is not None and saved["access_token"] != emu.user.access_token
    secrets.append(saved["access_token"])

    emu.expire_token(saved["access_token"])
    emu.revoke_refresh_token(emu.user.refresh_token)  # the user revoked the app
    day3 = run(env)
    assert day3.returncode == 3
    assert "log in again" in day3.stderr.strip().splitlines()[-1]
    for output in (day1, day2, day3):
        for secret in secrets:
            assert secret not in output.stdout + output.stderr
