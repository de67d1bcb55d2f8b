"""Page script: see metrics.ui.views.overview."""

from metrics.ui import views

views.overview()
