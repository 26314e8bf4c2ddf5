"""The drop guard: a pass that would take too many listings to 0 at once waits for staff.

A wrong warehouse choice, a half-finished stock count in Exact or a bug would otherwise empty a
shop in seconds. When more than `drop_guard_share` of the channel's active listings (and more
than a handful) would go from a positive quantity to 0 in one pass, the pass's stock changes are
held back in one HeldStockPass per channel. While a pass is held, a later change that keeps a
held listing at 0 stays held too; one that brings it above 0 is pushed as usual. Staff confirm
(the listings are recomputed and pushed) or discard (nothing is pushed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from channels_app.models import Channel, HeldPassState, HeldStockPass, PendingPush
from exactsync.models import ActivityLevel, record_activity

from .pending import mark_listings, pushable_listings, queue_push

if TYPE_CHECKING:
    from .record import PassSummary, Planned

HANDFUL = 5  # never hold a pass for this many zeros or fewer


class DropGuard:
    """Looks at each round of one channel's pass."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._active: int | None = None

    @property
    def active(self) -> int:
        if self._active is None:
            self._active = pushable_listings([self.channel.pk]).count()
        return self._active

    def filter(self, plan: list[Planned], summary: PassSummary) -> list[Planned]:
        """The part of the plan to push now; the rest is held back (recorded)."""
        changes = [p for p in plan if p.reason == PendingPush.CHANGE]
        if not changes:
            return plan
        held = HeldStockPass.objects.filter(channel=self.channel, state=HeldPassState.HELD).first()
        held_ids = {int(k) for k in held.quantities} if held else set()
        keep = [p for p in changes if p.listing.pk in held_ids and p.availability.quantity == 0]
        fresh = [p for p in changes if p.listing.pk not in held_ids]
        drops = [
            p
            for p in fresh
            if p.availability.quantity == 0 and (p.listing.last_pushed_quantity or 0) > 0
        ]
        share = float(self.channel.drop_guard_share)
        if len(drops) > HANDFUL and len(drops) > share * self.active:
            keep += fresh
            reason = (
                f"{len(drops)} of {self.active} active listings would go to 0 in one pass "
                f"(the guard holds passes above {share:.0%})."
            )
        else:
            reason = ""
        keep_ids = {p.listing.pk for p in keep}
        released = [p for p in plan if p.listing.pk in held_ids and p.listing.pk not in keep_ids]
        if keep or released:
            self._hold(held, keep, released, reason)
        summary.held += len(keep)
        return [p for p in plan if p.reason != PendingPush.CHANGE or p.listing.pk not in keep_ids]

    def _hold(
        self,
        held: HeldStockPass | None,
        keep: list[Planned],
        released: list[Planned],
        reason: str,
    ) -> None:
        quantities: dict[str, Any] = dict(held.quantities) if held else {}
        for p in released:
            quantities.pop(str(p.listing.pk), None)
        for p in keep:
            quantities[str(p.listing.pk)] = p.availability.quantity
        zeros = sum(1 for q in quantities.values() if q == 0)
        if held is None:
            if not reason:
                return
            held = HeldStockPass.objects.create(
                channel=self.channel,
                quantities=quantities,
                to_zero=zeros,
                active_listings=self.active,
                reason=reason,
            )
            record_activity(
                "stock.pass_held",
                subject=self.channel,
                level=ActivityLevel.WARNING,
                message=f"Stock pass held back for confirmation: {reason}",
                payload={"held_pass": held.pk, "to_zero": zeros, "listings": len(quantities)},
            )
            return
        if not quantities:
            held.state, held.decided_at = HeldPassState.DISCARDED, timezone.now()
            held.reason = f"{held.reason} Every held listing was pushed above 0 since.".strip()
        held.quantities, held.to_zero = quantities, zeros
        if reason:
            held.reason = reason
        held.save()


def confirm_held_pass(held_pass_id: int, *, user: Any = None) -> int:
    """Staff confirmed: recompute and push the held listings (the guard does not stop them)."""
    with transaction.atomic():
        held = (
            HeldStockPass.objects.select_for_update()
            .filter(pk=held_pass_id, state=HeldPassState.HELD)
            .first()
        )
        if held is None:
            return 0
        held.state, held.decided_by, held.decided_at = (
            HeldPassState.CONFIRMED,
            user,
            timezone.now(),
        )
        held.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        ids = [int(k) for k in held.quantities]
        channels = mark_listings(ids, PendingPush.CONFIRMED)
        queue_push(channels)
        record_activity(
            "stock.pass_confirmed",
            subject=held.channel,
            actor=user,
            message=f"Held stock pass confirmed: {len(ids)} listing(s) pushed.",
            payload={"held_pass": held.pk},
        )
    return len(ids)


def discard_held_pass(held_pass_id: int, *, user: Any = None) -> int:
    """Staff discarded: the channel keeps what it shows; nothing is pushed for the held pass."""
    with transaction.atomic():
        held = (
            HeldStockPass.objects.select_for_update()
            .filter(pk=held_pass_id, state=HeldPassState.HELD)
            .first()
        )
        if held is None:
            return 0
        held.state, held.decided_by, held.decided_at = (
            HeldPassState.DISCARDED,
            user,
            timezone.now(),
        )
        held.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        record_activity(
            "stock.pass_discarded",
            subject=held.channel,
            actor=user,
            message=f"Held stock pass discarded: {len(held.quantities)} listing(s) not pushed.",
            payload={"held_pass": held.pk},
        )
    return len(held.quantities)
