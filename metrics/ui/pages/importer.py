"""Page script: see metrics.ui.views.importer."""

from metrics.ui import views

views.importer()
