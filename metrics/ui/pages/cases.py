"""Page script: see metrics.ui.views.cases."""

from metrics.ui import views

views.cases()
