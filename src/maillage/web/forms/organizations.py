"""Forms of the organizations pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from django import forms as djforms

from maillage.web.forms import OrganizationForm


class OrganizationCorrectionForm(OrganizationForm):
    reason = djforms.CharField(label="Pourquoi cette correction", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("kind", "causes"):
            self.fields.pop(name, None)
