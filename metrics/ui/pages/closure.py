"""Page script: see metrics.ui.views.closure."""

from metrics.ui import views

views.closure()
