"""``access-events check-receiver``: the receiver contract as a schemathesis campaign.

The contract is generated/openapi/receiver.yaml (shipped in the wheel as
access_events/contract/openapi/receiver.yaml, where its ../../schemas/ refs still reach the
packaged schemas). Every request is signed over the exact bytes sent, so verification is
exercised rather than bypassed; cases whose signature headers schemathesis itself
deliberately broke (missing, malformed) are sent as generated, unsigned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .. import _catalog

#: Buckets of the per-event-type summary besides the catalog's types.
OTHER_TYPES = "(other event types)"
NO_EVENT = "(no event)"
_RECEIVER_PATH = "/webhooks/access-events"
_PLACEHOLDER_HEADERS = {"webhook-id": "placeholder", "webhook-timestamp": "0", "webhook-signature": "placeholder"}


class CampaignUsageError(Exception):
    """The campaign cannot start: bad URL, unknown event type, unreachable endpoint, missing tools."""


@dataclass
class Finding:
    """One kind of failure (the first case that showed it, and how many cases did)."""

    title: str
    message: str
    phase: str
    mode: str
    event_type: str
    status: int | None
    curl: str
    count: int = 1


@dataclass
class CampaignReport:
    target: str
    event_types: tuple[str, ...]
    seed: int
    #: (phase, mode, event type bucket) -> cases sent
    cases: Counter = field(default_factory=Counter)
    #: event type bucket -> cases with at least one failure
    failed_cases: Counter = field(default_factory=Counter)
    #: (mode, status code) -> answers
    statuses: Counter = field(default_factory=Counter)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def sent(self, *, phase: str | None = None, mode: str | None = None, event_type: str | None = None) -> int:
        return sum(n for (p, m, e), n in self.cases.items()
                   if phase in (None, p) and mode in (None, m) and event_type in (None, e))

    def render(self, out: TextIO) -> None:
        rows = [t for t in _catalog.event_types() if t in self.event_types or self.sent(event_type=t)]
        rows += [OTHER_TYPES, NO_EVENT]
        width = max(len(r) for r in rows)
        out.write(f"{'event type':<{width}}  {'positive':>8}  {'negative':>8}  {'failed':>6}\n")
        for row in rows:
            out.write(f"{row:<{width}}  {self.sent(mode='positive', event_type=row):>8}  "
                      f"{self.sent(mode='negative', event_type=row):>8}  {self.failed_cases[row]:>6}\n")
        phases = ", ".join(f"{p} {self.sent(phase=p)}" for p in ("examples", "coverage", "fuzzing", "probes"))
        out.write(f"{self.sent()} requests ({phases}), seed {self.seed}\n")
        if self.ok:
            out.write("PASS: every answer conforms to the receiver contract\n")
            return
        signed = [n for (mode, status), n in self.statuses.items() if mode == "positive"]
        if signed and sum(n for (mode, status), n in self.statuses.items() if mode == "positive" and status == 401) == sum(signed):
            out.write("NOTE: every correctly signed request was answered 401: the receiver's secret probably "
                      "differs from the one given (--secret-env)\n")
        failed = sum(self.failed_cases.values())
        out.write(f"FAIL: {len(self.findings)} kind{'s' if len(self.findings) != 1 else ''} of failure "
                  f"in {failed} request{'s' if failed != 1 else ''}\n")
        for number, f in enumerate(self.findings.values(), 1):
            out.write(f"\n{number}. {f.title} ({f.count} case{'s' if f.count != 1 else ''}; first: {f.mode} "
                      f"{f.event_type}, {f.phase} phase, answered {f.status if f.status is not None else 'nothing'})\n")
            for line in f.message.strip().splitlines()[:12]:
                out.write(f"   {line}\n".rstrip(" ") if line.strip() else "\n")
            out.write("   reproduce (signatures expire 5 minutes after the run):\n")
            out.write(f"   {f.curl}\n")


def contract_path() -> Path:
    """The receiver contract: packaged in the wheel, or generated/ in a source checkout."""
    packaged = Path(__file__).parent.parent / "contract" / "openapi" / "receiver.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "generated" / "openapi" / "receiver.yaml"


def _bucket(body: object, known: Sequence[str]) -> str:
    event_type = body.get("event_type") if isinstance(body, dict) else None
    if not isinstance(event_type, str):
        return NO_EVENT
    return event_type if event_type in known else OTHER_TYPES


def _curl(method: str, url: str, headers: dict[str, str], body: bytes | None) -> str:
    import shlex

    parts = ["curl", "-sS", "-i", "-X", method, shlex.quote(url)]
    for name, value in headers.items():
        if name.lower() not in ("content-length", "accept-encoding", "connection", "user-agent", "accept"):
            # curl drops `-H 'name: '`; `-H 'name;'` sends the header with an empty value
            parts += ["-H", shlex.quote(f"{name}: {value}" if value.strip() else f"{name};")]
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            parts += ["--data-binary", shlex.quote(text)]
        else:  # bytes a shell string cannot hold: let printf write them
            parts += ["--data-binary", "@<(printf " + shlex.quote("".join(f"\\x{b:02x}" for b in body)) + ")"]
    return " ".join(parts)


def check_receiver(target: str | Callable, secret: str | bytes, *, max_examples: int = 50,
                   event_types: Sequence[str] | None = None, seed: int | None = None, timeout: float = 10.0,
                   contract: Path | None = None, progress: Callable[[str], None] | None = None) -> CampaignReport:
    """Run the receiver contract against ``target``: a URL (exactly as given) or an ASGI app, in process.

    Phases: the contract's examples, schemathesis's coverage cases (positive ones limited to
    ``event_types``; negative ones from the whole contract), then ``max_examples`` generated
    valid events of each event type (and of other types, unless ``event_types`` limits them),
    as many invalid bodies (signed), and half as many with broken signature headers. Each
    answer goes through schemathesis's default checks, with valid requests required to get
    a 2xx and invalid ones one of the contract's 4xx (400, 401, 413, 415).
    Then the signature probes, per event type: a delivery, its replay (the same bytes) and a
    producer retry (re-signed) must all get a 2xx; a well-formed wrong signature, a stale and
    a future timestamp must get 401. ``progress`` is called with a line at each step.
    Raises ``CampaignUsageError`` when it cannot start, ``InvalidSecret`` for a bad secret.
    """
    import base64
    import copy
    import hashlib
    import hmac
    import time
    from urllib.parse import urlsplit

    try:
        import requests
        import schemathesis
        import yaml
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as hypothesis_seed
        from schemathesis.config import SchemathesisConfig
        from schemathesis.core.failures import Failure, FailureGroup
        from schemathesis.core.parameters import ParameterLocation
        from schemathesis.generation import GenerationMode
    except ImportError as exc:
        raise CampaignUsageError(f"check-receiver needs schemathesis ({exc.name} is missing): "
                                 "pip install 'schemathesis>=4' pyyaml") from None

    from .signatures import Verifier

    verifier = Verifier(secret)  # InvalidSecret for a bad one
    key = secret if isinstance(secret, bytes) else base64.b64decode(secret.removeprefix("whsec_"))
    known = _catalog.event_types()
    selected = tuple(event_types) if event_types else known
    unknown = [t for t in selected if t not in known]
    if unknown:
        raise CampaignUsageError(f"unknown event type {unknown[0]!r}; known: {', '.join(known)}")
    contract = contract or contract_path()
    if not contract.is_file():
        raise CampaignUsageError(f"the receiver contract is missing: {contract}")
    doc = yaml.safe_load(contract.read_text("utf-8"))

    call_kwargs: dict[str, object] = {"timeout": timeout}
    if isinstance(target, str):
        url = urlsplit(target)
        if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
            raise CampaignUsageError(f"{target!r}: expected an http(s) URL without query or fragment, "
                                     "such as http://127.0.0.1:8000/webhooks/access-events")
        path = url.path or "/"
        call_kwargs["base_url"] = f"{url.scheme}://{url.netloc}"
        try:
            requests.request("OPTIONS", target, timeout=timeout)
        except requests.RequestException as exc:
            raise CampaignUsageError(f"{target}: unreachable: {exc.__class__.__name__}: {exc}") from None
    else:
        path = _RECEIVER_PATH
        call_kwargs["app"] = target
    doc["paths"] = {path: doc["paths"][_RECEIVER_PATH]}

    def branch_type(ref: str) -> str:
        name = ref.rsplit("/", 1)[-1]
        return name.removesuffix(_catalog.SCHEMA_SUFFIX) if name.endswith(_catalog.SCHEMA_SUFFIX) else OTHER_TYPES

    def limited_to(keep: set[str]) -> dict:
        """The contract with only these branches of the body's oneOf (valid requests of these types only)."""
        limited = copy.deepcopy(doc)
        body = limited["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        body["schema"]["oneOf"] = [b for b in body["schema"]["oneOf"] if branch_type(b["$ref"]) in keep]
        body["examples"] = {name: ex for name, ex in body.get("examples", {}).items()
                            if _bucket(ex.get("value"), known) in keep}
        return limited

    buckets = [*selected, *([] if event_types else [OTHER_TYPES])]

    # Status codes are the contract; a foreign receiver's bodies and content types are advice, not
    # checked (this package's exact error body is not required), and any 2xx acknowledges a delivery.
    config = SchemathesisConfig.from_dict({"checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx"]},
        "negative_data_rejection": {"expected-statuses": ["400", "401", "413", "415"]},
        "status_code_conformance": {"enabled": False},
        "response_schema_conformance": {"enabled": False},
        "content_type_conformance": {"enabled": False},
        "response_headers_conformance": {"enabled": False},
    }})

    def operation(document: dict):
        schema = schemathesis.openapi.from_dict(copy.deepcopy(document), config=config)
        schema.location = contract.resolve().as_uri()  # where the ../../schemas/ refs are resolved from
        return schema[path]["POST"]

    full, positive = operation(doc), operation(limited_to(set(buckets)))
    if seed is None:
        import random

        seed = random.getrandbits(32)
    report = CampaignReport(target=target if isinstance(target, str) else "(in-process app)", event_types=selected, seed=seed)

    def signed_headers(case) -> dict[str, str]:
        wire = case.as_transport_kwargs(base_url=call_kwargs.get("base_url"))
        prepared = requests.Request(method=wire["method"], url=wire["url"], headers=wire["headers"],
                                    data=wire.get("data"), json=wire.get("json"), params=wire.get("params")).prepare()
        raw = prepared.body or b""
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        msg_id, now = f"msg_{case.id}", int(time.time())
        try:
            signature = verifier.sign(raw, msg_id, now)
        except UnicodeDecodeError:  # the same HMAC over bytes that are not text: receivers refuse those (401)
            digest = hmac.new(key, f"{msg_id}.{now}.".encode() + raw, hashlib.sha256).digest()
            signature = "v1," + base64.b64encode(digest).decode()
        return {"webhook-id": msg_id, "webhook-timestamp": str(now), "webhook-signature": signature}

    def run(case, phase: str) -> None:
        meta = case.meta
        mode = meta.generation.mode.value if meta is not None else "positive"
        header_info = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
        headers = None if header_info is not None and header_info.mode.is_negative else signed_headers(case)
        bucket = _bucket(case.body, known)
        report.cases[(phase, mode, bucket)] += 1
        failures: list[tuple[str, str]] = []
        response = None
        try:
            response = case.call(headers=headers, **call_kwargs)
        except Exception as exc:  # noqa: BLE001 - a network error, or the in-process app raised
            failures.append((f"No answer: {exc.__class__.__name__}", str(exc)))
        else:
            report.statuses[(mode, response.status_code)] += 1
            transport_kwargs = dict(call_kwargs)
            if headers is not None:
                transport_kwargs["headers"] = dict(headers)
            try:
                case.validate_response(response, headers=headers, transport_kwargs=transport_kwargs)
            except FailureGroup as group:
                failures += [(f.title, f.message) for f in group.exceptions]
            except Failure as failure:
                failures.append((failure.title, failure.message))
        if not failures:
            return
        report.failed_cases[bucket] += 1
        request = getattr(response, "request", None)
        if request is not None:
            raw = request.body or b""
            curl = _curl(request.method, request.url, dict(request.headers), raw.encode() if isinstance(raw, str) else raw)
        else:
            wire = case.as_transport_kwargs(base_url=call_kwargs.get("base_url"), headers=headers)
            prepared = requests.Request(method=wire["method"], url=wire["url"], headers=wire["headers"],
                                        data=wire.get("data"), json=wire.get("json"), params=wire.get("params")).prepare()
            raw = prepared.body or b""
            curl = _curl(prepared.method, prepared.url, dict(prepared.headers), raw.encode() if isinstance(raw, str) else raw)
        for title, message in failures:
            found = report.findings.get((title, mode))
            if found is not None:
                found.count += 1
                continue
            if response is not None:
                answer = response.content[:300].decode("utf-8", "replace")
                message = f"{message}\n\nAnswer: {response.status_code} {answer}".strip()
            report.findings[(title, mode)] = Finding(title, message, phase, mode, bucket,
                                                     response.status_code if response is not None else None, curl)

    say = progress or (lambda line: None)
    say("examples and coverage cases")
    _run_explicit_phases(full, positive, run)

    def fuzz(op, mode, fixed_headers, count: int) -> None:
        @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=(Phase.explicit, Phase.generate), verbosity=Verbosity.quiet)
        @given(op.as_strategy(generation_mode=mode, headers=fixed_headers))
        def test(case) -> None:
            run(case, "fuzzing")

        hypothesis_seed(seed)(test)()

    for bucket in buckets:  # one run per event type: a oneOf of nine leaves some types unreached by chance
        say(f"valid events: {bucket} ({report.sent()} requests so far)")
        fuzz(operation(limited_to({bucket})), GenerationMode.POSITIVE, None, max_examples)
    say(f"invalid bodies, signed ({report.sent()} requests so far)")
    fuzz(full, GenerationMode.NEGATIVE, dict(_PLACEHOLDER_HEADERS), max_examples)  # invalid bodies, signed
    say(f"broken signature headers ({report.sent()} requests so far)")
    fuzz(full, GenerationMode.NEGATIVE, None, max(1, max_examples // 2))  # broken headers too, unsigned
    say(f"signature probes: replays, wrong signatures, stale and future timestamps ({report.sent()} requests so far)")
    _probe_signatures(report, target, call_kwargs, path, selected, key, seed)
    say(f"done: {report.sent()} requests")
    return report


def _send(target, call_kwargs: dict, path: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str, str]:
    """POST ``body`` to a URL or an in-process ASGI app: (status or None, answer text or error, curl line)."""
    if isinstance(target, str):
        import requests

        curl = _curl("POST", target, headers, body)
        try:
            answer = requests.post(target, data=body, headers=headers, timeout=call_kwargs.get("timeout", 10))
        except requests.RequestException as exc:
            return None, f"{exc.__class__.__name__}: {exc}", curl
        return answer.status_code, answer.text[:300], curl
    import asyncio

    sent: list[dict] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": path,
             "raw_path": path.encode(), "query_string": b"", "root_path": "", "scheme": "http", "server": ("testserver", 80),
             "client": ("127.0.0.1", 50000),
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in {**headers, "content-length": str(len(body))}.items()]}
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    curl = _curl("POST", f"http://testserver{path}", headers, body)
    try:
        asyncio.run(target(scope, receive, send))
    except Exception as exc:  # noqa: BLE001 - the app raised: no answer
        return None, f"{exc.__class__.__name__}: {exc}", curl
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    text = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode("utf-8", "replace")
    return (start["status"] if start else None), text[:300], curl


#: (probe, expected: "2xx" or "401", finding title when the answer is otherwise)
_PROBES = (
    ("delivery", "2xx", "Signed delivery not acknowledged"),
    ("replay", "2xx", "Replayed delivery (same bytes) not acknowledged"),
    ("retry", "2xx", "Producer retry (re-signed) not acknowledged"),
    ("wrong signature", "401", "Wrong signature accepted"),
    ("stale timestamp", "401", "Stale timestamp accepted"),
    ("future timestamp", "401", "Future timestamp accepted"),
)


def _probe_signatures(report: "CampaignReport", target, call_kwargs: dict, path: str, event_types: Sequence[str],
                      key: bytes, seed: int) -> None:
    """Per event type: a delivery, its replay and a retry (2xx each: the producer treats any 2xx as
    received, and a duplicate must not be refused), then a well-formed wrong signature, a stale and a
    future timestamp (401 each). Whether a replay was handled twice cannot be seen from outside;
    that it is acknowledged, and that forged or stale ones are not, can."""
    import base64
    import hashlib
    import hmac
    import json
    import random
    import time
    import uuid

    rng = random.Random(seed)

    def headers_for(body: bytes, msg_id: str, timestamp: int, signing_key: bytes = key) -> dict[str, str]:
        digest = hmac.new(signing_key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        return {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(timestamp),
                "webhook-signature": "v1," + base64.b64encode(digest).decode()}

    expectations = {name: (expected, title) for name, expected, title in _PROBES}
    for event_type in event_types:
        example = _catalog.schema(event_type)["examples"][0]

        def fresh() -> bytes:
            return json.dumps({**example, "event_id": str(uuid.UUID(int=rng.getrandbits(128)))}).encode()

        now = int(time.time())
        body = fresh()
        first = headers_for(body, f"msg_probe_{rng.getrandbits(32):08x}", now)
        sends = [("delivery", first, body), ("replay", first, body),
                 ("retry", headers_for(body, f"msg_probe_{rng.getrandbits(32):08x}", now), body)]
        wrong = fresh()
        sends.append(("wrong signature", headers_for(wrong, "msg_probe_wrong", now, bytes(rng.getrandbits(8) for _ in range(32))), wrong))
        stale = fresh()
        sends.append(("stale timestamp", headers_for(stale, "msg_probe_stale", now - 600), stale))
        future = fresh()
        sends.append(("future timestamp", headers_for(future, "msg_probe_future", now + 600), future))
        for name, headers, payload in sends:
            status, answer, curl = _send(target, call_kwargs, path, headers, payload)
            report.cases[("probes", "probe", event_type)] += 1
            report.statuses[("probe", status)] += 1
            expected, title = expectations[name]
            if status is not None and (200 <= status < 300 if expected == "2xx" else status == 401):
                continue
            report.failed_cases[event_type] += 1
            found = report.findings.get((title, "probe"))
            if found is not None:
                found.count += 1
                continue
            message = f"the {name} of a {event_type} event should get {expected}\n\nAnswer: {status if status is not None else 'none'} {answer}"
            report.findings[(title, "probe")] = Finding(title, message, "probes", "probe", event_type, status, curl)


def _run_explicit_phases(full, positive, run: Callable) -> None:
    """The contract's examples and schemathesis's coverage cases (its deterministic phases), when available."""
    try:  # schemathesis 4's case generators; an older or newer layout just skips these phases
        from schemathesis.generation import GenerationMode
        from schemathesis.generation.drivers import CoverageGenerator, ExamplesGenerator
        from schemathesis.generation.feedback import FeedbackSources
        from schemathesis.generation.overrides import Override
    except ImportError:
        return
    for case in ExamplesGenerator(operation=positive, override=Override(), feedback=FeedbackSources(), fill_missing=False):
        run(case, "examples")
    for op, mode in ((positive, GenerationMode.POSITIVE), (full, GenerationMode.NEGATIVE)):
        generation = op.schema.config.generation_for(operation=op, phase="coverage")
        for case in CoverageGenerator(operation=op, generation_modes=[mode], generation_config=generation,
                                      auth_storage=None, override=Override(), feedback=FeedbackSources()):
            run(case, "coverage")
