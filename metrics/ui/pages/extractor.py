"""Page script: see metrics.ui.views.extractor."""

from metrics.ui import views

views.extractor()
