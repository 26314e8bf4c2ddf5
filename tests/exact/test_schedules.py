"""setup_schedules creates every planned schedule once, and is safe to run on every deploy."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from exactsync.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_running_setup_schedules_twice_leaves_one_of_each() -> None:
    call_command("setup_schedules", verbosity=0)
    call_command("setup_schedules", verbosity=0)
    names = list(Schedule.objects.values_list("name", flat=True))
    assert sorted(names) == sorted(p.name for p in SCHEDULES)
    assert len(names) == len(set(names))


def test_the_issue_schedules_are_planned() -> None:
    call_command("setup_schedules", verbosity=0)
    by_func = {s.func: s for s in Schedule.objects.all()}
    assert by_func["exactsync.tasks.sync_suppliers_task"].minutes == 30
    assert by_func["exactsync.tasks.sync_frequent_task"].minutes == 15
    assert by_func["exactsync.tasks.sync_nightly_task"].schedule_type == Schedule.DAILY
    assert by_func["exactsync.tasks.flag_not_arrived_task"].minutes == 60
    assert by_func["exactsync.tasks.morning_report_task"].next_run.astimezone().hour == 7


def test_a_schedule_paused_by_staff_stays_paused_and_a_changed_interval_is_applied() -> None:
    call_command("setup_schedules", verbosity=0)
    Schedule.objects.filter(name="exact: suppliers").update(repeats=0, minutes=99)
    call_command("setup_schedules", verbosity=0)
    schedule = Schedule.objects.get(name="exact: suppliers")
    assert (schedule.repeats, schedule.minutes) == (0, 30)


def test_task_round_trip_through_the_configured_broker(settings: object) -> None:
    """The broker in use (ORM on SQLite, Redis when REDIS_URL is set) really carries a task."""
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage
    from django_q.tasks import async_task

    broker = get_broker()
    broker.purge_queue()
    task_id = async_task("exactsync.tasks.sweep_task", sync=False)
    packages = broker.dequeue()
    assert packages, "nothing came back from the broker"
    _, payload = packages[0]
    task = SignedPackage.loads(payload)
    assert (task["id"], task["func"]) == (task_id, "exactsync.tasks.sweep_task")
