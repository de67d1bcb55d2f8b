"""Page script: see metrics.ui.views.method."""

from metrics.ui import views

views.method()
