"""Page script: see metrics.ui.views.profile."""

from metrics.ui import views

views.profile()
