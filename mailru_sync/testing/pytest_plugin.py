"""pytest plugin: ``mailru_emulator`` and ``ok_emulator`` fixtures (being written)."""
