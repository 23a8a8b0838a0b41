"""The demo data set is built in steps, one per area, each idempotent: ``seed(ctx)``.

``ctx`` holds ``workspaces`` (name → Workspace), ``organizations`` (name → Organization), ``users``
(e-mail → User) and ``rng`` (a seeded random.Random). Areas append their step here.
"""

DEMO_STEPS: list[str] = [
    "maillage.demo.alliances.seed",
    "maillage.demo.receipts.seed",
    "maillage.demo.evaluation.seed",
    "maillage.demo.matching.seed",
    "maillage.demo.observatory.seed",
]
