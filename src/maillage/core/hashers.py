"""The password hasher: Argon2id at a cost measured on the machine it runs on (docs/operations.md, "Passwords")."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id, 19 MiB of memory, 2 passes, 1 lane: OWASP's first recommended configuration.

    About 30 ms of one core per hash on the 2-core reference machine (Django's default, 100 MiB and 8 lanes, took
    135 ms; PBKDF2 at 1,000,000 iterations 320 ms). The algorithm name stays ``argon2`` and the parameters are
    written in each hash, so a hash made with other parameters (Django's defaults) is rewritten with these at the
    next login, as PBKDF2 hashes are.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
