"""Page script: see metrics.ui.views.reductions."""

from metrics.ui import views

views.reductions()
