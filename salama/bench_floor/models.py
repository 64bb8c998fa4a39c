from django.db import models


class FloorRow(models.Model):
    """One row per request of the framework-floor benchmark; nothing reads it."""

    created_at = models.DateTimeField()
    payload = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"floor#{self.pk}"
