"""Files to try the import with on the demo data, offered on the import page: file name → what it holds."""

from pathlib import Path

from maillage.exchange.models import Entity

SAMPLES_DIR = Path(__file__).parent / "samples"
SAMPLES = {"contributions-demo.csv": Entity.CONTRIBUTION}
