"""The rules-file schema of DESIGN.md as pydantic models.

A rules file is an ordered list of policies; the first policy whose ``when`` matches an
order applies to it. Every model forbids unknown keys so that a typo in a rules file fails
loudly instead of silently doing nothing, and scalar fields are strict: YAML users easily
write ``"3"`` or ``1.5`` where an integer is meant, or ``country: NO`` (which YAML reads as
``false``), and silently coercing those would route orders under rules nobody wrote.

Every number has a documented bound, named in the field's description (and so in the JSON
Schema editors read): costs and penalties 0..1,000,000, max_distance_km up to 40,000 (longer
than any great-circle distance), max_delivery_days 0..365, buffer units 0..1,000,000,
max_locations 1..100. Bounds never change a rules version: the version hashes the values.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rules.messages import LocatedValueError

_STRICT = ConfigDict(extra="forbid", frozen=True)

LocationType = Literal["warehouse", "store"]
"""The kinds of location a network has (the network model of ``engine.network`` uses it)."""
DeliveryMethodName = Literal["ship", "pickup"]
_DELIVERY_METHODS: frozenset[str] = frozenset(("ship", "pickup"))
_LOCATION_TYPES: tuple[LocationType, ...] = ("warehouse", "store")

MAX_AMOUNT = 1_000_000.0  # any cost weight or penalty
MAX_DISTANCE_KM = 40_000.0  # the longest great-circle distance is ~20,015 km
MAX_DELIVERY_DAYS = 365
MAX_BUFFER_UNITS = 1_000_000
MAX_LOCATIONS = 100  # Fulfillment Orders for one order

Name = Annotated[StrictStr, Field(min_length=1)]
Amount = Annotated[float, Strict(), Field(ge=0.0, le=MAX_AMOUNT, allow_inf_nan=False)]
"""A routing cost weight: a number 0..1,000,000 (an integer like ``5`` is fine)."""


def _one_or_many(value: object) -> object:
    """``"ship"`` means ``["ship"]``; anything that is neither a string nor a list is refused
    here so the message says what is allowed instead of "expected a list"."""
    if isinstance(value, str):
        return (value,)
    if value is None or isinstance(value, list | tuple):
        return value
    raise PydanticCustomError("one_or_many", "expected a string or a list of strings")


def _one_or_many_schema(item: dict[str, object]) -> WithJsonSchema:
    many = {"type": "array", "items": item, "minItems": 1}
    return WithJsonSchema({"anyOf": [item, many, {"type": "null"}]})


_METHOD_ITEM: dict[str, object] = {"enum": sorted(_DELIVERY_METHODS), "type": "string"}
_TEXT_ITEM: dict[str, object] = {"type": "string", "minLength": 1}
OneOrManyMethods = Annotated[
    Annotated[tuple[DeliveryMethodName, ...], Field(min_length=1)] | None,
    BeforeValidator(_one_or_many),
    _one_or_many_schema(_METHOD_ITEM),
]
OneOrManyNames = Annotated[
    Annotated[tuple[Name, ...], Field(min_length=1)] | None,
    BeforeValidator(_one_or_many),
    _one_or_many_schema(_TEXT_ITEM),
]


def _as_set(value: str | tuple[str, ...] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset((value,)) if isinstance(value, str) else frozenset(value)


class When(BaseModel):
    """Conditions on the order; an absent condition matches every order.

    Each condition is one value or a list of values (normalised to a tuple when loaded).
    """

    model_config = _STRICT
    delivery_method: OneOrManyMethods = Field(
        default=None, description="ship or pickup, or a list of them"
    )
    channel: OneOrManyNames = Field(default=None, description="order channel(s), e.g. web, app")
    country: OneOrManyNames = Field(
        default=None, description="destination country code(s) of ship orders, e.g. US"
    )

    def matches(self, delivery_method: str, channel: str, country: str | None) -> bool:
        """Whether an order with these facts meets every condition (``country`` is the ship
        destination's, ``None`` for a pickup or an unknown country)."""
        checks: list[tuple[frozenset[str] | None, str | None]] = [
            (_as_set(self.delivery_method), delivery_method),
            (_as_set(self.channel), channel),
            (_as_set(self.country), country),
        ]
        return all(allowed is None or value in allowed for allowed, value in checks)

    def covers(self, other: When) -> bool:
        """True when every order ``other`` matches is matched by ``self`` as well."""
        universe = {"delivery_method": _DELIVERY_METHODS}
        for field in ("delivery_method", "channel", "country"):
            mine = _as_set(getattr(self, field))
            theirs = _as_set(getattr(other, field)) or universe.get(field)
            if mine is not None and (theirs is None or not theirs <= mine):
                return False
        return True


class Sources(BaseModel):
    """Which locations may serve an order (the fences of DESIGN.md)."""

    model_config = _STRICT
    location_group: Name | None = Field(
        default=None, description="only locations of this group of the network"
    )
    location_types: tuple[LocationType, ...] = Field(
        default=_LOCATION_TYPES, min_length=1, description="warehouse and/or store"
    )
    max_distance_km: Annotated[float, Strict()] | None = Field(
        default=None,
        gt=0.0,
        le=MAX_DISTANCE_KM,
        allow_inf_nan=False,
        description="only locations within this great-circle distance of a ship destination, "
        "km, 0 < max_distance_km <= 40,000",
    )
    exclude_locations: tuple[Name, ...] = Field(
        default=(), description="location ids that never serve orders under this policy"
    )
    max_delivery_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_DELIVERY_DAYS,
        description="only locations that deliver within this many working days, 0..365",
    )


BufferUnits = Annotated[StrictInt, Field(ge=0, le=MAX_BUFFER_UNITS)]


class InventoryRules(BaseModel):
    model_config = _STRICT
    buffer_units: dict[LocationType, BufferUnits] = Field(
        default_factory=dict,
        validate_default=True,
        description="units held back per location type, on top of safety stock, 0..1,000,000",
    )

    @field_validator("buffer_units")
    @classmethod
    def _every_type(cls, value: dict[LocationType, int]) -> dict[LocationType, int]:
        # Fill the absent types so {store: 1} and {store: 1, warehouse: 0} are the same rules
        # (and hash to the same version).
        return {t: value.get(t, 0) for t in _LOCATION_TYPES}

    def buffer_for(self, location_type: LocationType) -> int:
        return max(0, self.buffer_units.get(location_type, 0))


class Split(BaseModel):
    model_config = _STRICT
    max_locations: StrictInt = Field(
        default=3,
        ge=1,
        le=MAX_LOCATIONS,
        description="most Fulfillment Orders (locations) for one order, 1..100",
    )
    line_split: StrictBool = Field(
        default=True, description="may one line's quantity come from several locations"
    )
    ship_complete: StrictBool = Field(
        default=False, description="true: fill every unit or give no route"
    )


class Cost(BaseModel):
    model_config = _STRICT
    per_km: Amount = Field(
        default=0.0, description="per Fulfillment Order, per km to destination, 0..1,000,000"
    )
    split_penalty: Amount = Field(
        default=0.0, description="per Fulfillment Order beyond the first, 0..1,000,000"
    )
    unfilled_unit_penalty: Amount = Field(
        default=1000.0, description="per unit left unfilled, 0..1,000,000"
    )
    priority_weight: Amount = Field(
        default=0.0, description="per unit shipped, times the location's priority, 0..1,000,000"
    )


class Policy(BaseModel):
    model_config = _STRICT
    name: Name = Field(description="unique name, recorded with every routing decision")
    when: When = Field(default_factory=When, description="which orders; empty = every order")
    sources: Sources = Field(default_factory=Sources)
    inventory: InventoryRules = Field(default_factory=InventoryRules)
    split: Split = Field(default_factory=Split)
    cost: Cost = Field(default_factory=Cost)


MAX_FEE = 1_000_000_000  # minor units


class ReturnReason(BaseModel):
    """What a return for one reason does."""

    model_config = _STRICT
    restock: StrictBool = Field(
        default=True, description="returned units go back into the receiving location's stock"
    )
    fee_per_unit: StrictInt = Field(
        default=0,
        ge=0,
        le=MAX_FEE,
        description="kept from the refund per returned unit, minor units, 0..1,000,000,000",
    )


class Returns(BaseModel):
    """Return reasons: which restock, what fee applies (``default`` for unlisted reasons)."""

    model_config = _STRICT
    reasons: dict[Name, ReturnReason] = Field(default_factory=dict)
    default: ReturnReason = Field(default_factory=ReturnReason)

    def for_reason(self, reason: str) -> ReturnReason:
        return self.reasons.get(reason, self.default)


class Waves(BaseModel):
    """How waves (many orders routed jointly) may load the network."""

    model_config = _STRICT
    max_orders_per_location: StrictInt | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="most orders one location serves in a wave, 1..10,000,000 (unset: no limit)",
    )


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, title="omniroute rules")
    version: Literal[1] = Field(default=1, description="rules file format version")
    policies: tuple[Policy, ...] = Field(
        min_length=1, description="tried in order; the first whose `when` matches applies"
    )
    returns: Returns | None = Field(
        default=None,
        description="return reasons: restock or not, fee per unit (unset: every return "
        "restocks, no fee)",
    )
    waves: Waves | None = Field(default=None, description="limits of wave routing")

    @field_validator("version", mode="before")
    @classmethod
    def _integer_version(cls, value: object) -> object:
        # Literal[1] alone would accept true and 1.0.
        if type(value) is not int:
            raise PydanticCustomError("int_type", "expected an integer")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> Rules:
        first: dict[str, int] = {}
        for i, policy in enumerate(self.policies):
            if policy.name in first:
                raise LocatedValueError(
                    ("policies", i, "name"),
                    f"duplicate policy name {policy.name!r} "
                    f"(also policies[{first[policy.name]}].name)",
                )
            first[policy.name] = i
        return self

    def policy_for(self, delivery_method: str, channel: str, country: str | None) -> Policy | None:
        """The first policy whose ``when`` matches an order with these facts, or ``None``
        (``engine.preview.select_policy`` reads the facts off an order)."""
        return next(
            (p for p in self.policies if p.when.matches(delivery_method, channel, country)), None
        )
