from __future__ import annotations

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels_app"
    verbose_name = "Sales channels"

    def ready(self) -> None:
        from channels_app.imports import ListingResource
        from exactsync.imports.jobs import register_import_kind

        register_import_kind("listings", lambda job: ListingResource(connection=job.connection))

        from channels_app.inventory import receivers as stock_receivers
        from exactsync.signals import stock_levels_changed

        stock_levels_changed.connect(
            stock_receivers.stock_levels_changed, dispatch_uid="channels_app.stock_levels_changed"
        )

        from channels_app import replay  # noqa: F401 - webhook replay for the admin
        from channels_app.forwarding import receivers, service  # noqa: F401 - signal receivers, outbox handlers

        # Tracking numbers to the channels (issue 9): signal receivers, the outbox handler,
        # morning report sections and the shipments CSV import.
        from channels_app.fulfilment import confirm, reports  # noqa: F401
        from channels_app.fulfilment import receivers as fulfilment_receivers  # noqa: F401
        from channels_app.fulfilment.csv_import import ShipmentImport

        register_import_kind("shipments", lambda job: ShipmentImport(job.connection))
