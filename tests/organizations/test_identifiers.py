import pytest
from django.core.exceptions import ValidationError

from maillage.organizations.identifiers import clean_naf, clean_rna, clean_siren, clean_siret


@pytest.mark.parametrize(
    "value,expected", [("216901231", "216901231"), ("216 901 231", "216901231"), ("732 829 320", "732829320")]
)
def test_valid_siren(value, expected):
    assert clean_siren(value) == expected


@pytest.mark.parametrize(
    "value,message",
    [
        ("216901232", "clé de contrôle"),
        ("21690123", "9 chiffres"),
        ("21690123A", "que des chiffres"),
    ],
)
def test_invalid_siren_says_why_in_french(value, message):
    with pytest.raises(ValidationError) as exc:
        clean_siren(value)
    assert message in exc.value.messages[0]


def test_siret():
    assert clean_siret("732 829 320 00074") == "73282932000074"
    with pytest.raises(ValidationError, match="14 chiffres"):
        clean_siret("7328293200007")
    with pytest.raises(ValidationError, match="clé de contrôle"):
        clean_siret("73282932000075")


@pytest.mark.parametrize("value", ["W751234567", "w2a1002345", "W 691 234 567"])
def test_valid_rna(value):
    assert clean_rna(value).startswith("W")


@pytest.mark.parametrize("value", ["751234567", "W75123456", "X751234567", "W7512345678"])
def test_invalid_rna(value):
    with pytest.raises(ValidationError, match="W suivi de 9 caractères"):
        clean_rna(value)


@pytest.mark.django_db
def test_naf_must_exist_in_the_nomenclature():
    assert clean_naf("88.99B") == "88.99B"
    assert clean_naf("8899b") == "88.99B"
    with pytest.raises(ValidationError, match="n'existe pas"):
        clean_naf("88.99Z")
