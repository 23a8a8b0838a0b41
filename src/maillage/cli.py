"""The ``maillage`` command: Django's management commands under the product's name.

``maillage migrate``, ``maillage demo``, ``maillage serve``, ``maillage load_territories``…: every Django
management command works, with the project's settings already chosen.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "maillage"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
