"""Channel orders to Exact as sales orders: once, on the right customer, with the right lines.

`consider(order)` runs whenever an order is stored or its mapping may have been fixed: it checks
the order and either waits (needs attention, with reasons), shows it (shadow mode), keeps it here
(forwarding off), or records one forward in the outbox. The outbox handler writes one sales order
in one call (orders first in the Exact budget) and, when an earlier attempt's outcome is unknown,
looks the order up by YourRef before posting again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from channels_app.models import Channel, ChannelOrder, OrderState
from common.http import ApiError, OutcomeUnknownError, RetriableApiError
from exactsync import failed_writes, outbox
from exactsync.client import ExactValidationError, NeedsLoginError, Priority, guid, quote
from exactsync.models import Account, Outbox, OutboxKind, OutboxState, record_activity

from .body import sales_order_body
from .checks import Plan, check

# States from which an order may (still) be forwarded.
OPEN_STATES = {
    OrderState.RECEIVED,
    OrderState.NEEDS_ATTENTION,
    OrderState.SHADOW,
    OrderState.NOT_FORWARDED,
}


def forward_key(order: ChannelOrder) -> str:
    return f"so:{order.channel_id}:{order.external_id}"


def consider(order: ChannelOrder, *, user: Any = None, force_shadow: bool = False) -> str:
    """Decide what happens to an order now; returns the new state."""
    order = ChannelOrder.objects.select_related(
        "channel", "channel__connection", "exact_customer"
    ).get(pk=order.pk)
    channel = order.channel
    if order.cancelled:
        return _cancelled(order, user=user)
    if order.state not in OPEN_STATES:
        return (
            order.state
        )  # needs mapping, marketplace, queued, in Exact, failed: not ours to change here
    if not channel.forward_orders:
        return _set_state(
            order, OrderState.NOT_FORWARDED, [], "kept here: forwarding is off for this channel"
        )
    plan = check(order)
    preview = sales_order_body(order, plan) if not plan.problems else {}
    if plan.problems:
        ChannelOrder.objects.filter(pk=order.pk).update(preview=preview)
        return _set_state(
            order,
            OrderState.NEEDS_ATTENTION,
            plan.problems,
            "needs attention: " + "; ".join(plan.problems),
        )
    if channel.shadow_mode and not force_shadow:
        ChannelOrder.objects.filter(pk=order.pk).update(
            preview=preview, exact_customer=plan.customer
        )
        return _set_state(
            order, OrderState.SHADOW, [], "shadow mode: the sales order is shown, not sent"
        )
    with transaction.atomic():
        ChannelOrder.objects.filter(pk=order.pk).update(
            preview=preview, exact_customer=plan.customer
        )
        outbox.record(
            OutboxKind.SALES_ORDER,
            target=order,
            key=forward_key(order),
            priority=Priority.ORDERS,
            label=f"Sales order {channel.name} {order.number}",
            payload={"create_customer": plan.create_customer},
        )
        return _set_state(order, OrderState.QUEUED, [], "queued for Exact", user=user)


def _set_state(
    order: ChannelOrder, state: str, problems: list[str], message: str, *, user: Any = None
) -> str:
    changed = order.state != state or order.problems != problems
    ChannelOrder.objects.filter(pk=order.pk).update(
        state=state, problems=problems, updated_at=timezone.now()
    )
    if changed:
        record_activity(
            f"forward.{state}",
            subject=order,
            actor=user,
            message=message,
            level="warning" if state == OrderState.NEEDS_ATTENTION else "info",
        )
    return state


def _cancelled(order: ChannelOrder, *, user: Any = None) -> str:
    """Cancelled before forwarding: never sent. After: cancel in Exact where it allows."""
    pending = Outbox.objects.filter(
        kind=OutboxKind.SALES_ORDER,
        idempotency_key=forward_key(order),
        state__in=[OutboxState.PENDING, OutboxState.FAILED],
    )
    if order.exact_sales_order_id is None and pending.update(state=OutboxState.CANCELLED):
        record_activity(
            "forward.cancelled",
            subject=order,
            message="Cancelled before it reached Exact: not sent.",
        )
    if order.exact_sales_order_id is not None:
        outbox.record(
            OutboxKind.SALES_ORDER_CANCEL,
            target=order,
            key=f"so-cancel:{order.channel_id}:{order.external_id}",
            priority=Priority.ORDERS,
            label=f"Cancel {order.channel.name} {order.number} in Exact",
        )
        return order.state
    if order.state != OrderState.CANCELLED:
        return _set_state(order, OrderState.CANCELLED, [], "cancelled on the channel")
    return order.state


def reconsider_waiting(channel: Channel) -> int:
    """After a mapping changed: forward what waits in 'needs attention' (no retyping)."""
    count = 0
    for order in channel.orders.filter(state=OrderState.NEEDS_ATTENTION):
        if consider(order) != OrderState.NEEDS_ATTENTION:
            count += 1
    return count


def forward_shadow_orders(channel: Channel, *, user: Any = None) -> int:
    """Shadow mode is over: on request, forward the orders that were only shown."""
    count = 0
    for order in channel.orders.filter(state=OrderState.SHADOW):
        ChannelOrder.objects.filter(pk=order.pk).update(state=OrderState.RECEIVED)
        if consider(order, user=user, force_shadow=True) == OrderState.QUEUED:
            count += 1
    return count


# -- the writes ------------------------------------------------------------------------------------
def _client(order: ChannelOrder) -> Any:
    from exactsync.services.exact import build_exact_client

    return build_exact_client(order.channel.connection, priority=Priority.ORDERS)


def find_in_exact(client: Any, order: ChannelOrder) -> dict[str, Any] | None:
    customer = order.exact_customer
    flt = f"YourRef eq {quote(order.your_ref)}"
    if customer is not None:
        flt += f" and OrderedBy eq {guid(str(customer.exact_id))}"
    return client.find_one(
        "salesorder/SalesOrders",
        select=["OrderID", "OrderNumber", "YourRef"],
        filter=flt,
        priority=Priority.ORDERS,
    )


def ensure_customer(client: Any, order: ChannelOrder) -> Account:
    """B2B: create the buyer as an Exact customer, once (looked up first by VAT number or e-mail)."""
    connection = order.channel.connection
    for field_name, value in (("VATNumber", order.buyer_vat_number), ("Email", order.buyer_email)):
        if value:
            found = client.find_one(
                "crm/Accounts",
                select=["ID", "Code", "Name"],
                filter=f"{field_name} eq {quote(value)}",
                priority=Priority.ORDERS,
            )
            if found:
                break
    else:
        found = None
    if found is None:
        address = order.billing_address or order.delivery_address or {}
        found = client.post(
            "crm/Accounts",
            {
                "Name": (order.buyer_company or order.buyer_name)[:50],
                "Status": "C",
                "IsSales": True,
                "Email": order.buyer_email or None,
                "VATNumber": order.buyer_vat_number or None,
                "ChamberOfCommerce": order.buyer_coc_number or None,
                "AddressLine1": address.get("street") or None,
                "Postcode": address.get("postcode") or None,
                "City": address.get("city") or None,
                "Country": (address.get("country") or order.country or None),
            },
            priority=Priority.ORDERS,
        )
    account, _ = Account.objects.update_or_create(
        connection=connection,
        exact_id=str(found["ID"]).lower(),
        defaults={
            "code": str(found.get("Code") or found["ID"]).strip()[:18],
            "is_customer": True,
            "name": (found.get("Name") or order.buyer_company or order.buyer_name)[:200],
            "vat_number": order.buyer_vat_number,
            "email": order.buyer_email[:254],
            "created_here": True,
        },
    )
    ChannelOrder.objects.filter(pk=order.pk).update(exact_customer=account)
    record_activity(
        "forward.customer_created",
        subject=order,
        message=f"Exact customer {account.code} {account.name}",
    )
    order.exact_customer = account
    return account


@outbox.handler(OutboxKind.SALES_ORDER)
def write_sales_order(entry: Outbox) -> outbox.Outcome:
    order = ChannelOrder.objects.select_related(
        "channel", "channel__connection", "exact_customer"
    ).get(pk=entry.target_id)
    if order.exact_sales_order_id:
        return outbox.Outcome.done(note="already in Exact")
    if order.cancelled:
        return outbox.Outcome.failed(
            "The order was cancelled on the channel before it reached Exact.", kind="cancelled"
        )
    try:
        client = _client(order)
        if getattr(entry, "look_up_first", False):
            found = find_in_exact(client, order)
            if found:
                _forwarded(order, found, how="found by YourRef after an earlier attempt")
                return outbox.Outcome.done(order_number=found.get("OrderNumber"))
        plan = check(order)
        if plan.create_customer and order.exact_customer_id is None:
            ensure_customer(client, order)
            plan = check(order)
        if plan.problems:
            _state(order, OrderState.NEEDS_ATTENTION, plan.problems)
            return outbox.Outcome.failed("; ".join(plan.problems), kind="mapping")
        body = sales_order_body(order, plan)
        ChannelOrder.objects.filter(pk=order.pk).update(preview=body)  # what is actually sent
        created = client.post("salesorder/SalesOrders", body, priority=Priority.ORDERS)
    except ExactValidationError as exc:
        _failed(order, exc.for_staff())
        return outbox.Outcome.failed(exc.exact_message or exc.message, hint=exc.hint)
    except OutcomeUnknownError as exc:
        return outbox.Outcome.unknown(exc.for_staff())
    except NeedsLoginError as exc:
        return outbox.Outcome.retry(str(exc), retry_in=900)
    except RetriableApiError as exc:
        return outbox.Outcome.retry(exc.for_staff(), retry_in=getattr(exc, "retry_after", None))
    except ApiError as exc:
        _failed(order, exc.for_staff())
        return outbox.Outcome.failed(exc.message, hint=exc.hint, kind="refused")
    _forwarded(order, created, how="written")
    return outbox.Outcome.done(order_number=created.get("OrderNumber"))


def _forwarded(order: ChannelOrder, exact: dict[str, Any], *, how: str) -> None:
    lines = exact.get("SalesOrderLines") or {}
    rows = lines.get("results", []) if isinstance(lines, dict) else lines
    with transaction.atomic():
        ChannelOrder.objects.filter(pk=order.pk).update(
            exact_sales_order_id=exact.get("OrderID"),
            exact_order_number=exact.get("OrderNumber"),
            state=OrderState.FORWARDED,
            problems=[],
            forwarded_at=timezone.now(),
            updated_at=timezone.now(),
        )
        ours = [
            ln
            for ln in order.lines.order_by("id")
            if ln.open_quantity > 0 and not ln.marketplace_fulfilled
        ]
        for line, row in zip(ours, rows, strict=False):
            if row.get("ID"):
                type(line).objects.filter(pk=line.pk).update(exact_line_id=row["ID"])
    record_activity(
        "forward.in_exact",
        subject=order,
        message=f"Exact sales order {exact.get('OrderNumber')} ({how})",
        payload={"order_id": exact.get("OrderID"), "order_number": exact.get("OrderNumber")},
    )


def _state(order: ChannelOrder, state: str, problems: list[str]) -> None:
    ChannelOrder.objects.filter(pk=order.pk).update(
        state=state, problems=problems, updated_at=timezone.now()
    )
    record_activity(f"forward.{state}", subject=order, level="warning", message="; ".join(problems))


def _failed(order: ChannelOrder, message: str) -> None:
    ChannelOrder.objects.filter(pk=order.pk).update(
        state=OrderState.FAILED, problems=[message], updated_at=timezone.now()
    )
    record_activity("forward.failed", subject=order, level="error", message=message)


@outbox.handler(OutboxKind.SALES_ORDER_CANCEL)
def cancel_in_exact(entry: Outbox) -> outbox.Outcome:
    """Cancelled on the channel after forwarding: delete the Exact order if nothing was delivered."""
    order = ChannelOrder.objects.select_related("channel", "channel__connection").get(
        pk=entry.target_id
    )
    try:
        _client(order).delete(
            f"salesorder/SalesOrders({guid(str(order.exact_sales_order_id))})",
            priority=Priority.ORDERS,
        )
    except ExactValidationError as exc:
        record_activity(
            "forward.cancel_refused",
            subject=order,
            level="error",
            message=f"Cancelled on {order.channel.name}, but Exact refused to cancel sales order "
            f"{order.exact_order_number}: {exc.exact_message}. Handle it in Exact.",
        )
        ChannelOrder.objects.filter(pk=order.pk).update(
            problems=[
                f"Cancelled on the channel; Exact order {order.exact_order_number} could not be cancelled: "
                f"{exc.exact_message}"
            ]
        )
        return outbox.Outcome.failed(
            exc.exact_message or exc.message,
            hint="Goods were delivered already: handle the cancellation in Exact.",
        )
    except OutcomeUnknownError as exc:
        return outbox.Outcome.unknown(exc.for_staff())
    except RetriableApiError as exc:
        return outbox.Outcome.retry(exc.for_staff())
    except ApiError as exc:
        if exc.status == 404:
            pass  # already gone
        else:
            return outbox.Outcome.failed(exc.message, hint=exc.hint, kind="refused")
    ChannelOrder.objects.filter(pk=order.pk).update(
        state=OrderState.CANCELLED, updated_at=timezone.now()
    )
    record_activity(
        "forward.cancelled_in_exact",
        subject=order,
        message=f"Exact sales order {order.exact_order_number} cancelled.",
    )
    return outbox.Outcome.done()


# -- staff actions on the failed-writes page ------------------------------------------------------------
def cancel_forward(order: ChannelOrder, user: Any) -> None:
    Outbox.objects.filter(kind=OutboxKind.SALES_ORDER, idempotency_key=forward_key(order)).exclude(
        state=OutboxState.DONE
    ).update(state=OutboxState.CANCELLED)
    ChannelOrder.objects.filter(pk=order.pk).update(state=OrderState.NOT_FORWARDED)
    record_activity(
        "forward.cancelled_by_staff", subject=order, actor=user, message="Not sent to Exact."
    )


def mark_manual(order: ChannelOrder, number: int, user: Any) -> None:
    Outbox.objects.filter(kind=OutboxKind.SALES_ORDER, idempotency_key=forward_key(order)).exclude(
        state=OutboxState.DONE
    ).update(state=OutboxState.MANUAL)
    ChannelOrder.objects.filter(pk=order.pk).update(
        state=OrderState.MANUAL, exact_order_number=number, problems=[]
    )
    record_activity(
        "forward.entered_by_hand",
        subject=order,
        actor=user,
        message=f"Linked to Exact order {number}",
    )


failed_writes.register(
    OutboxKind.SALES_ORDER,
    failed_writes.WriteActions(
        cancel=cancel_forward,  # type: ignore[arg-type]
        mark_manual=mark_manual,  # type: ignore[arg-type]
        describe=lambda order: {"what": str(order)},
    ),
)


def plan_for(order: ChannelOrder) -> Plan:
    return check(order)
