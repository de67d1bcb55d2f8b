"""Page script: see metrics.ui.views.progress."""

from metrics.ui import views

views.progress()
