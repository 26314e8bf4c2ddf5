from __future__ import annotations

from django.apps import AppConfig


class ExactSyncConfig(AppConfig):
    name = "exactsync"
    verbose_name = "Exact Online"

    def ready(self) -> None:
        from exactsync import purchasing  # noqa: F401 - registers the purchase-order outbox handler
        from exactsync.imports.jobs import register_import_kind
        from exactsync.imports.product_suppliers import ProductSupplierResource
        from exactsync.imports.purchase_orders import PurchaseOrderImport

        register_import_kind(
            "product_suppliers", lambda job: ProductSupplierResource(connection=job.connection)
        )
        register_import_kind("purchase_orders", lambda job: PurchaseOrderImport(job.connection))
