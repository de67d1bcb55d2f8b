"""Page script: see metrics.ui.views.figures."""

from metrics.ui import views

views.figures()
