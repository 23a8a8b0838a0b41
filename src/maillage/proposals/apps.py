from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "maillage.proposals"
    label = "proposals"
    verbose_name = "Propositions de partenariat"
