"""Forms of the pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction

from maillage.core.roles import Role
from maillage.organizations.models import BudgetBand, Cause, Kind, WorkforceBand
from maillage.workspaces.actions import may_send_password_reset

CREATABLE_KINDS = [
    (k.value, k.label) for k in Kind if k not in {Kind.COMMUNE, Kind.EPCI, Kind.DEPARTEMENT, Kind.REGION}
]


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Adresse e-mail", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        "invalid_login": "Adresse e-mail ou mot de passe incorrect. Vérifiez-les (les majuscules comptent dans le mot de passe).",
        "inactive": "Ce compte est désactivé.",
    }

    def clean_username(self):
        # The address is case-insensitive (the password is not): django-axes counts failures on this form too.
        return self.cleaned_data["username"].strip().lower()


class SignupForm(forms.Form):
    """Parsing only: the rules (address free in any case, password strength, one-line name) are in ``sign_up``."""

    full_name = forms.CharField(
        label="Nom complet", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label="Adresse e-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Mot de passe",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="10 caractères au moins, ni trop courant ni uniquement des chiffres.",
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label="Nom complet", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label="Nouvelle adresse e-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Mot de passe actuel",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Pour vérifier que c'est bien vous.",
    )


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, whose e-mail leaves after the commit and at most five times an hour per account."""

    email = forms.EmailField(
        label="Adresse e-mail du compte",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email):
        request = getattr(self, "_request", None)
        for user in super().get_users(email):
            if may_send_password_reset(user=user, request=request):
                yield user

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._request = kwargs.get("request")  # Django's view passes every argument by keyword
        return super().save(*args, **kwargs)

    def send_mail(self, *args, **kwargs):
        transaction.on_commit(lambda: super(PasswordResetRequestForm, self).send_mail(*args, **kwargs), robust=True)


class WorkspaceForm(forms.Form):
    name = forms.CharField(label="Nom de l'espace", max_length=150)
    organization = forms.IntegerField(
        label="Organisation",
        widget=forms.HiddenInput,
        error_messages={"required": "Choisissez l'organisation pour laquelle vous travaillez dans l'annuaire."},
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail")
    role = forms.ChoiceField(label="Rôle", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="Nom du jeton", max_length=100, required=False)


class OrganizationForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=CREATABLE_KINDS)
    name = forms.CharField(label="Nom", max_length=200)
    siren = forms.CharField(label="SIREN", max_length=20, required=False, help_text="9 chiffres")
    siret = forms.CharField(
        label="SIRET", max_length=25, required=False, help_text="14 chiffres (siège ou établissement)"
    )
    rna = forms.CharField(
        label="Numéro RNA", max_length=15, required=False, help_text="W suivi de 9 caractères, pour une association"
    )
    naf = forms.CharField(label="Code NAF", max_length=10, required=False, help_text="ex. 88.99B")
    commune = forms.CharField(
        label="Commune",
        max_length=10,
        required=False,
        help_text="Code INSEE de la commune : tapez son nom ou son code postal et choisissez-la dans la liste",
        widget=forms.TextInput(
            attrs={
                "list": "commune-list",
                "autocomplete": "off",
                "hx-get": "/referentiel/communes/",
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#commune-list",
                "hx-swap": "outerHTML",
                "hx-vals": 'js:{q: document.getElementById("id_commune").value}',
            }
        ),
    )
    causes = forms.MultipleChoiceField(label="Causes", required=False, widget=forms.CheckboxSelectMultiple, choices=[])
    budget_band = forms.ChoiceField(
        label="Budget annuel (associations)", required=False, choices=[("", "—"), *BudgetBand.choices]
    )
    workforce_band = forms.ChoiceField(
        label="Effectif salarié", required=False, choices=[("", "—"), *WorkforceBand.choices]
    )
    website = forms.CharField(label="Site web", max_length=200, required=False)
    description = forms.CharField(
        label="Présentation", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["causes"]).choices = [(c.code, c.label) for c in Cause.objects.all()]


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.CharField(label="Étiquettes", max_length=200, required=False, help_text="séparées par des virgules")


class ContactForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=150)
    role = forms.CharField(label="Fonction", max_length=150, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)


def apply_errors(form: forms.Form, error) -> None:
    """Attach a domain ``ValidationError`` to the form fields it names (or to the form as a whole)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
