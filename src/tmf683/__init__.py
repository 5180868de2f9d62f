"""tmf683: the TM Forum TMF683 Party Interaction Management API v4, as a library.

Use :class:`PartyInteractionService` with a store to create, read, list, patch and
delete party interactions from Python, without HTTP::

    from tmf683 import PartyInteractionService, SQLiteStore

    service = PartyInteractionService(SQLiteStore("tmf683.db"))
    created = service.create(
        {"channel": [{"id": "1"}], "direction": "inbound", "reason": "billing question"}
    )
    page = service.list({"direction": "inbound", "fields": "reason"})

Every public name lives here, in ``__all__``; the modules below ``tmf683`` are its
implementation. Importing this package opens nothing, reads no environment and imports
no web framework: the store classes are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tmf683._access_errors import (
    AuthenticationError,
    ForbiddenError,
    InsufficientScopeError,
    KeysUnavailableError,
    PartyRestrictionError,
)
from tmf683._errors import (
    ConflictError,
    DeliveryError,
    DeliveryTokenError,
    InvalidQueryError,
    NotFoundError,
    PatchConflictError,
    PreconditionFailedError,
    Problem,
    QueryTimeoutError,
    StoreConfigurationError,
    StoreUnavailableError,
    SubscriptionLimitError,
    Tmf683Error,
    ValidationError,
)
from tmf683._hosts import parse_host_port
from tmf683._listing import JsonPage, encode_json
from tmf683._logging import (
    LOG_FORMATS,
    LOG_LEVELS,
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    add_log_options,
    configure_logging,
    request_id,
)
from tmf683._model import (
    AttachmentRefOrValue,
    ErrorBody,
    EventSubscription,
    EventSubscriptionInput,
    InteractionItem,
    InteractionRelationship,
    Note,
    PartyInteraction,
    PartyInteractionEvent,
    PartyInteractionEventPayload,
    Quantity,
    RelatedChannel,
    RelatedEntityRefOrValue,
    RelatedParty,
    TimePeriod,
)
from tmf683._schema import PARTY_INTERACTION_SCHEMA, parse_fields, parse_query
from tmf683._serialization import make_converter, structure, unstructure
from tmf683._service import DEFAULT_BASE_PATH, PartyInteractionService
from tmf683._signals import ignore_stop_signals, interrupt_on_signals
from tmf683._validation import MAX_NESTING_DEPTH, parse_json
from tmf683.envconfig import EnvironmentParser, add_version_option
from tmf683.events.callbacks import CallbackPolicy
from tmf683.events.command import (
    MAX_COUNT,
    add_delivery_options,
    bound_outbox,
    callback_policy_from,
    delivery_token_from,
    dispatcher_from,
)
from tmf683.events.dispatch import Dispatcher
from tmf683.events.election import ElectedDispatcher, dispatcher_lock
from tmf683.events.envelopes import EVENT_TYPES, validate_event
from tmf683.events.token import TokenFile
from tmf683.events.transport import post_json
from tmf683.patch.apply import Patched, PatchFormat, apply_patch
from tmf683.patch.merge import apply_merge_patch
from tmf683.query.ast import Query
from tmf683.query.projection import project
from tmf683.query.schema import AttributeKind, Schema, SchemaAttribute
from tmf683.storage import open_store, safe_location, store_class
from tmf683.storage.base import (
    DEFAULT_QUERY_TIMEOUT,
    AttemptOutcome,
    Document,
    OutboxStats,
    Page,
    PartyInteractionStore,
    VersionedDocument,
)
from tmf683.transfer.export import export_documents
from tmf683.transfer.importer import ImportFailedError, ImportResult, import_documents
from tmf683.versions.contract import contract_document, shipped_contract
from tmf683.versions.v5hub import HubV5
from tmf683.versions.v5query import V5_PARTY_INTERACTION_SCHEMA
from tmf683.versions.v5service import V5_BASE_PATH, PartyInteractionServiceV5

if TYPE_CHECKING:
    from tmf683.storage.memory import MemoryStore
    from tmf683.storage.postgres import PostgresStore
    from tmf683.storage.sqlite import SQLiteStore

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BASE_PATH",
    "DEFAULT_QUERY_TIMEOUT",
    "EVENT_TYPES",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "MAX_COUNT",
    "MAX_NESTING_DEPTH",
    "PARTY_INTERACTION_SCHEMA",
    "V5_BASE_PATH",
    "V5_PARTY_INTERACTION_SCHEMA",
    "AttachmentRefOrValue",
    "AttemptOutcome",
    "AttributeKind",
    "AuthenticationError",
    "CallbackPolicy",
    "ConflictError",
    "DeliveryError",
    "DeliveryTokenError",
    "Dispatcher",
    "Document",
    "ElectedDispatcher",
    "EnvironmentParser",
    "ErrorBody",
    "EventSubscription",
    "EventSubscriptionInput",
    "ForbiddenError",
    "HubV5",
    "ImportFailedError",
    "ImportResult",
    "InsufficientScopeError",
    "InteractionItem",
    "InteractionRelationship",
    "InvalidQueryError",
    "JsonFormatter",
    "JsonPage",
    "KeysUnavailableError",
    "MemoryStore",
    "NotFoundError",
    "Note",
    "OutboxStats",
    "Page",
    "PartyInteraction",
    "PartyInteractionEvent",
    "PartyInteractionEventPayload",
    "PartyInteractionService",
    "PartyInteractionServiceV5",
    "PartyInteractionStore",
    "PartyRestrictionError",
    "PatchConflictError",
    "PatchFormat",
    "Patched",
    "PostgresStore",
    "PreconditionFailedError",
    "Problem",
    "Quantity",
    "Query",
    "QueryTimeoutError",
    "RelatedChannel",
    "RelatedEntityRefOrValue",
    "RelatedParty",
    "RequestIdFilter",
    "SQLiteStore",
    "Schema",
    "SchemaAttribute",
    "StoreConfigurationError",
    "StoreUnavailableError",
    "SubscriptionLimitError",
    "TextFormatter",
    "TimePeriod",
    "Tmf683Error",
    "TokenFile",
    "ValidationError",
    "VersionedDocument",
    "add_delivery_options",
    "add_log_options",
    "add_version_option",
    "apply_merge_patch",
    "apply_patch",
    "bound_outbox",
    "callback_policy_from",
    "configure_logging",
    "contract_document",
    "delivery_token_from",
    "dispatcher_from",
    "dispatcher_lock",
    "encode_json",
    "export_documents",
    "ignore_stop_signals",
    "import_documents",
    "interrupt_on_signals",
    "make_converter",
    "open_store",
    "parse_fields",
    "parse_host_port",
    "parse_json",
    "parse_query",
    "post_json",
    "project",
    "request_id",
    "safe_location",
    "shipped_contract",
    "structure",
    "unstructure",
    "validate_event",
]


def __getattr__(name: str) -> object:
    # the store classes are imported on first use: each pulls in its driver
    return store_class(name)


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
