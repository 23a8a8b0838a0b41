"""Every action name recorded in the code has a French label."""

from __future__ import annotations

import re
from pathlib import Path

import maillage
from maillage.audit.labels import ACTIONS, FAMILIES, action_label, family_of

SOURCE = Path(maillage.__file__).parent
RECORDED = re.compile(r"""action=["']([a-z_]+\.[a-z_]+)["']""")


def recorded_actions() -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_recorded_action_has_a_label_and_a_family():
    names = recorded_actions()
    assert {"receipt.issued", "import.undone", "audit.exported", "observatory.consent_changed"} <= names
    assert sorted(names - set(ACTIONS)) == [], "add the French label of these actions to audit/labels.py"
    assert sorted({family_of(n) for n in ACTIONS} - set(FAMILIES)) == []


def test_an_unknown_name_still_reads_in_french():
    assert action_label("receipt.printed") == "Reçus fiscaux — receipt.printed"
    assert action_label("weird") == "weird"
