"""Mail.ru Platform specifics. The public names are re-exported by :mod:`mailru_sync`."""
