"""Template filters of the accessibility layer (``{% load a11y %}``): what the shared form templates need to say."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def has_required(form) -> bool:
    """Whether a visible field of ``form`` is required (the form then explains its asterisk, RGAA 11.10.1)."""
    return any(field.field.required for field in form.visible_fields())


@register.filter
def error_count(form) -> int:
    """How many error messages ``form`` carries, its own and its fields'."""
    return sum(len(errors) for errors in form.errors.values())
