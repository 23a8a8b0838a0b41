from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "maillage.evaluation"
    label = "evaluation"
    verbose_name = "Évaluation"
