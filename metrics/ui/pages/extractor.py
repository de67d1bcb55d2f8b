"""Page script: see metrics.ui.extracting.page."""

from metrics.ui import extracting

extracting.page()
