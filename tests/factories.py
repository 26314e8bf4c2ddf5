"""factory_boy factories, grouped by domain."""

from __future__ import annotations

import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channels_app import models as ch
from exactsync import models as ex


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ex.ExactConnection

    name = factory.Sequence(lambda n: f"Groothandel {n}")
    division = factory.Sequence(lambda n: 100000 + n)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ex.Product

    connection = factory.SubFactory(ConnectionFactory)
    exact_id = factory.LazyFunction(uuid.uuid4)
    code = factory.Sequence(lambda n: f"ART-{n:05d}")
    ean = factory.Sequence(lambda n: f"87{n:011d}")
    description = factory.Sequence(lambda n: f"Product {n}")
    unit = "pc"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ex.Account

    connection = factory.SubFactory(ConnectionFactory)
    exact_id = factory.LazyFunction(uuid.uuid4)
    code = factory.Sequence(lambda n: f"{n + 1000}")
    name = factory.Sequence(lambda n: f"Account {n}")


class SupplierFactory(AccountFactory):
    is_supplier = True
    name = factory.Sequence(lambda n: f"Supplier {n}")


class CustomerFactory(AccountFactory):
    is_customer = True
    status = "C"
    name = factory.Sequence(lambda n: f"Customer {n}")


class ProductSupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ex.ProductSupplier

    connection = factory.SelfAttribute("product.connection")
    product = factory.SubFactory(ProductFactory)
    supplier = factory.SubFactory(
        SupplierFactory, connection=factory.SelfAttribute("..product.connection")
    )
    supplier_item_code = factory.Sequence(lambda n: f"SUP-{n}")
    purchase_price = Decimal("10.0000")
    order_per = Decimal("1")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ex.Warehouse

    connection = factory.SubFactory(ConnectionFactory)
    exact_id = factory.LazyFunction(uuid.uuid4)
    code = factory.Sequence(lambda n: str(n + 1))
    description = factory.Sequence(lambda n: f"Warehouse {n + 1}")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ex.StockLevel

    connection = factory.SelfAttribute("product.connection")
    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(
        WarehouseFactory, connection=factory.SelfAttribute("..product.connection")
    )


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ch.Channel

    name = factory.Sequence(lambda n: f"Channel {n}")
    kind = ch.ChannelKind.BOL
    connection = factory.SubFactory(ConnectionFactory)
    credentials = factory.LazyFunction(lambda: {"client_id": "id", "client_secret": "secret"})


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-123")

    @factory.post_generation
    def groups(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()
