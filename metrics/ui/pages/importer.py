"""Page script: see metrics.ui.importing.importer."""

from metrics.ui import importing

importing.importer()
