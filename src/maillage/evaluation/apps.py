from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _seed_questionnaires(sender, using="default", **kwargs):
    from maillage.evaluation.questionnaire import sync_questionnaires

    sync_questionnaires()


class EvaluationConfig(AppConfig):
    name = "maillage.evaluation"
    label = "evaluation"
    verbose_name = "Évaluation"

    def ready(self):
        post_migrate.connect(_seed_questionnaires, sender=self, dispatch_uid="maillage-evaluation-questionnaires")
