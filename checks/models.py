"""Probe targets; runs and results join them as the probe engine grows."""

from django.db import models

from assessments.models import System


class Target(models.Model):
    """One base URL of a system, the unit that probes run against."""

    workspace_path = "system__workspace"

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="targets")
    url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["system", "url"], name="unique_target_per_system")
        ]

    def __str__(self):
        return self.url
