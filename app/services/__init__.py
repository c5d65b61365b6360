"""Use cases: the only code that writes. Views, API, jobs and CLI call these."""
