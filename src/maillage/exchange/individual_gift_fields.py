"""The columns of an import of individuals' gifts (see ``individual_gifts.py``), with French and HelloAsso headers."""

from __future__ import annotations

from maillage.exchange.fields import Field

FIELDS = (
    Field(
        "last_name", "Nom du donateur", ("nom", "nom payeur", "nom du donateur", "last name", "nom de famille"), True
    ),
    Field("first_name", "Prénom", ("prenom", "prenom payeur", "first name", "prenom du donateur")),
    Field("email", "E-mail", ("email", "e mail", "email payeur", "courriel", "mail", "adresse email")),
    Field("street", "Adresse", ("adresse", "adresse payeur", "address", "rue", "adresse postale")),
    Field("postal_code", "Code postal", ("code postal", "code postal payeur", "cp", "postal code", "zip")),
    Field("city", "Ville", ("ville", "ville payeur", "commune", "city")),
    Field("amount", "Montant (€)", ("montant", "montant du don", "montant tarif", "amount", "don", "somme"), True),
    Field(
        "received_on",
        "Date du don",
        ("date", "date du don", "date du paiement", "date de la commande", "date de paiement"),
        True,
    ),
    Field(
        "payment_method",
        "Mode de versement",
        ("moyen de paiement", "mode de paiement", "mode de versement", "payment method"),
    ),
    Field(
        "reference",
        "Référence",
        ("reference", "reference commande", "numero", "numero de commande", "id", "reference paiement"),
    ),
    Field("status", "Statut du paiement", ("statut", "statut du paiement", "statut de la commande", "status")),
    Field("counterparts_value", "Valeur des contreparties (€)", ("contreparties", "valeur des contreparties")),
)
