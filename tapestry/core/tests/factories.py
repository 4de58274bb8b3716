import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.core.models import WorkerHeartbeat


class WorkerHeartbeatFactory(DjangoModelFactory[WorkerHeartbeat]):
    class Meta:
        model = WorkerHeartbeat

    name = "worker"
    last_seen = factory.LazyFunction(timezone.now)
