"""The main job: ``python -m mailru_sync demo`` runs end to end and shows what it promises."""

from __future__ import annotations

import io
import subprocess
import sys

from mailru_sync.demo import main


def test_demo_in_process() -> None:
    out = io.StringIO()
    assert main([], out) == 0
    text = out.getvalue()
    # The exact GET URLs of the documentation, signatures included (host: the emulator).
    assert "method=friends.get&app_id=423004&session_key=be6ef89965d58e56dec21acb9b62bdaa" \
           "&sig=5073f15c6d5b6ab2fde23ac43332b002" in text
    assert "&secure=1&sig=4a05af66f80da18b308fa7e536912bae" in text
    assert "method=events.get&sig=03a41413523ea8092507949d6e711963" in text
    for expected in ("ImplicitSession", "caught SignatureError", "caught RateLimitError",
                     "pass_error=True", "Done in"):
        assert expected in text
    # Secrets of the seeded apps are never printed.
    for secret in ("7815696ecbf1c96e6894b779456d330e", "3dad9cbf9baaa0360c0f2ba372d25716",
                   "ABC123DEF456GHI789JKL123", "ae5362b5b588cc7294c2414d71b74d5d"):
        assert secret not in text


def test_demo_command_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "mailru_sync", "demo"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Mail.ru Platform" in proc.stdout and "OK.ru" in proc.stdout
