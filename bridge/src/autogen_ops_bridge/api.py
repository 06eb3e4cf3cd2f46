"""The HTTP API (FastAPI). Every error has one shape: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import hmac
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import inspection
from .actions import ENDPOINTS, ActionService, Endpoint
from .errors import BridgeError
from .metrics import make_registry, render
from .models import (
    ActionBase,
    ActionResult,
    ActiveActionList,
    AgentDetail,
    AgentList,
    ErrorResponse,
    FaultInfo,
    FaultList,
    FaultRequest,
    Health,
    LogList,
    MessageList,
    RuntimeInfo,
    Snapshot,
    Trace,
)
from .redaction import redact_model

if TYPE_CHECKING:
    from .attach import Bridge

logger = logging.getLogger("autogen_ops_bridge")

PUBLIC_PATHS = frozenset({"/healthz", "/openapi.json"})
RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                          "too_long", "too_short", "string_too_long", "string_too_short"})
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (401, "missing or wrong bearer token"), (403, "not allowed"), (404, "not found"),
        (409, "idempotency conflict"), (413, "body too large"), (422, "invalid input"),
    )
}

Served = TypeVar("Served", bound=BaseModel)

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _action_route(acts: ActionService, endpoint: Endpoint,
                  served: Callable[[ActionResult], ActionResult]) -> Callable[..., Awaitable[ActionResult]]:
    """The route of one control action: its request model as the body (declared in the signature, so
    FastAPI validates it and documents it in ``openapi.json``) and the ``Idempotency-Key`` header."""
    async def route(body: ActionBase, idempotency_key: IdempotencyKey = None) -> ActionResult:
        return served(await acts.run(endpoint.name, body, idempotency_key, lambda: endpoint.run(acts, body),
                                     reversible=endpoint.reversible))

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    route.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("body", keyword, annotation=endpoint.request),
         inspect.Parameter("idempotency_key", keyword, default=None, annotation=IdempotencyKey)],
        return_annotation=ActionResult,
    )
    return route


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details or {}}},
                        status_code=status, headers=headers)


class Guard:
    """Pure ASGI middleware: bearer auth (except public paths) and the request body size limit."""

    def __init__(self, app: ASGIApp, bridge: Bridge) -> None:
        self.app = app
        self.bridge = bridge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["path"] not in PUBLIC_PATHS:
            denied = self._check_auth(headers.get("authorization"), scope["method"])
            if denied is not None:
                await denied(scope, receive, send)
                return
        limit = self.bridge.max_body_bytes
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._too_large(limit)(scope, receive, send)
            return
        received = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            if not exceeded:  # the app's answer to a truncated body is replaced by the 413
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded:
            await self._too_large(limit)(scope, receive, send)

    @staticmethod
    def _too_large(limit: int) -> JSONResponse:
        return error_response(413, "PAYLOAD_TOO_LARGE", f"request body exceeds {limit} bytes",
                              {"max_body_bytes": limit})

    def _check_auth(self, header: str | None, method: str) -> JSONResponse | None:
        challenge = {"WWW-Authenticate": "Bearer"}
        if not header or not header.lower().startswith("bearer "):
            return error_response(401, "UNAUTHORIZED",
                                  "missing bearer token: send 'Authorization: Bearer <token>'", {}, challenge)
        given = header[7:].strip().encode()
        if hmac.compare_digest(given, self.bridge.token.encode()):
            return None
        read = self.bridge.read_token
        if read and hmac.compare_digest(given, read.encode()):
            if method in ("GET", "HEAD"):
                return None
            return error_response(403, "FORBIDDEN", "this token may only read; actions need the control token")
        return error_response(401, "UNAUTHORIZED", "bearer token does not match this bridge's token", {},
                              challenge)


class _BodyTooLarge(Exception):
    pass


def create_app(bridge: Bridge) -> FastAPI:
    app = FastAPI(
        title="AutoGen Ops runtime bridge",
        version="1.0.0",
        description="Health, diagnostics and control of a live autogen-core runtime. See docs/bridge-api.md.",
        docs_url=None,
        redoc_url=None,
    )
    bearer = HTTPBearer(auto_error=False, description="the bridge token")
    authed = APIRouter(dependencies=[Depends(bearer)], responses=ERROR_RESPONSES)
    b = bridge

    def served(answer: Served) -> Served:
        # What the application put in (exception texts, tracebacks, state, URLs) may hold its secrets.
        return redact_model(answer, (b.token, b.read_token or ""))

    # --- errors ------------------------------------------------------------------------------
    @app.exception_handler(BridgeError)
    async def _bridge_error(_: Request, exc: BridgeError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        code = "VALIDATION_FAILED"
        if errors and all(e["type"] in RANGE_ERRORS for e in errors):
            code = "LIMIT_OUT_OF_RANGE"
        summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return error_response(422, code, f"invalid request: {summary}", {"errors": errors[:50]})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(404, "NOT_FOUND", "no such endpoint; see docs/bridge-api.md")
        if exc.status_code == 400:  # FastAPI: a body that is not even decodable
            return error_response(422, "VALIDATION_FAILED", f"invalid request body: {exc.detail}")
        if exc.status_code == 405:
            return error_response(405, "METHOD_NOT_ALLOWED", f"method not allowed: {exc.detail}")
        return error_response(exc.status_code, f"HTTP_{exc.status_code}", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The exception's text may carry the application's data or secrets: it goes to the bridge's log,
        # never to the caller, who gets a request id to find it there.
        request_id = uuid.uuid4().hex[:16]
        logger.error("bridge bug (request %s) on %s %s", request_id, request.method, request.url.path,
                     exc_info=exc, extra={"event": "BridgeInternalError", "request_id": request_id})
        return error_response(500, "INTERNAL_ERROR",
                              f"internal error in the bridge; its log has the details under request id {request_id}",
                              {"request_id": request_id})

    # --- read --------------------------------------------------------------------------------
    @app.get("/healthz", response_model=Health, tags=["read"])
    async def healthz() -> Health:
        return Health(runtime=b.name, uptime_s=b.uptime_s())

    @authed.get("/metrics", tags=["read"], response_class=Response,
                responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                 "description": "Prometheus text format"}})
    async def metrics() -> Response:
        return Response(render(registry), media_type=CONTENT_TYPE_LATEST)

    registry = make_registry(b)

    @authed.get("/v1/runtime", response_model=RuntimeInfo, tags=["read"])
    async def runtime() -> RuntimeInfo:
        return served(await inspection.runtime_info(b))

    @authed.get("/v1/agents", response_model=AgentList, tags=["read"])
    async def agents() -> AgentList:
        return served(AgentList(agents=inspection.agent_summaries(b)))

    @authed.get("/v1/agents/{agent_type}", response_model=AgentDetail, tags=["read"])
    async def agent(agent_type: Annotated[str, Path(max_length=200)]) -> AgentDetail:
        return served(await inspection.agent_detail(b, agent_type))

    @authed.get("/v1/logs", response_model=LogList, tags=["read"])
    async def logs(
        since: Annotated[str | None, Query(max_length=64, description="ISO-8601 or seconds ago")] = None,
        until: Annotated[str | None, Query(max_length=64, description="ISO-8601 or seconds ago")] = None,
        level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = None,
        agent: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    ) -> LogList:
        return served(inspection.logs(b, since=since, until=until, level=level, agent=agent, limit=limit,
                                      now=time.time()))

    @authed.get("/v1/messages", response_model=MessageList, tags=["read"])
    async def messages(
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        agent: Annotated[str | None, Query(max_length=200)] = None,
    ) -> MessageList:
        return served(MessageList(messages=[inspection.message_out(r) for r in b.log.recent(limit, agent)]))

    @authed.get("/v1/trace/{message_id}", response_model=Trace, tags=["read"])
    async def trace(message_id: Annotated[str, Path(max_length=200)]) -> Trace:
        hops = b.log.trace(message_id)
        if hops is None:
            raise BridgeError("MESSAGE_NOT_FOUND", 404,
                              f"message '{message_id}' is unknown or too old (the bridge keeps recent messages)",
                              {"message_id": message_id})
        return served(Trace(message_id=message_id, trace_id=b.log.trace_id(message_id),
                            hops=[inspection.message_out(h) for h in hops]))

    @authed.get("/v1/snapshot", response_model=Snapshot, tags=["read"])
    async def snapshot() -> Snapshot:
        return served(await inspection.snapshot(b))

    # --- actions -----------------------------------------------------------------------------
    acts = b.actions

    for endpoint in ENDPOINTS:
        authed.add_api_route(f"/v1/actions/{endpoint.name}", _action_route(acts, endpoint, served), methods=["POST"],
                             response_model=ActionResult, tags=["actions"], name=endpoint.name.replace("-", "_"),
                             openapi_extra={"x-temporary": endpoint.reversible})

    @authed.get("/v1/actions", response_model=ActiveActionList, tags=["actions"])
    async def active_actions() -> ActiveActionList:
        return served(ActiveActionList(actions=acts.active()))

    @authed.post("/v1/actions/{action_id}/keep", response_model=ActionResult, tags=["actions"])
    async def keep(action_id: Annotated[str, Path(max_length=100)]) -> ActionResult:
        return served(acts.keep(action_id))

    @authed.post("/v1/actions/{action_id}/revert", response_model=ActionResult, tags=["actions"])
    async def revert(action_id: Annotated[str, Path(max_length=100)]) -> ActionResult:
        return served(await acts.revert(action_id))

    # --- faults (demo fleet) -----------------------------------------------------------------
    def faults_enabled() -> Any:
        if b.faults is None:
            raise BridgeError("FAULTS_DISABLED", 403,
                              "fault injection is off; start the demo fleet with --enable-faults")
        return b.faults

    @authed.get("/v1/faults", response_model=FaultList, tags=["faults"])
    async def list_faults() -> FaultList:
        f = faults_enabled()
        return FaultList(faults=f.active(), known_faults=list(f.known_faults))

    @authed.post("/v1/faults", response_model=FaultInfo, tags=["faults"])
    async def inject_fault(body: FaultRequest) -> FaultInfo:
        f = faults_enabled()
        result: FaultInfo = await f.inject(body.fault, body.agent_type, body.params)
        return result

    @authed.delete("/v1/faults", response_model=FaultList, tags=["faults"])
    async def clear_faults() -> FaultList:
        f = faults_enabled()
        return FaultList(faults=await f.clear(None), known_faults=list(f.known_faults))

    @authed.delete("/v1/faults/{fault}", response_model=FaultList, tags=["faults"])
    async def clear_fault(fault: Annotated[str, Path(max_length=100)]) -> FaultList:
        f = faults_enabled()
        return FaultList(faults=await f.clear(fault), known_faults=list(f.known_faults))

    app.include_router(authed)
    app.add_middleware(Guard, bridge=b)
    return app
