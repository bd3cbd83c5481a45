"""no-secrets-in-user-data: decode user/custom data and look for keys and passwords.

User data is readable by anyone who can describe the launch template or scale set and
by every process on the node through the metadata service, so secrets must come from a
secret store at boot instead (Azure customData docs: "don't put secrets in it").
"""

from __future__ import annotations

import base64
import binascii
import email
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from gpufleet.policy import props as p
from gpufleet.policy.base import schema, settings
from gpufleet.policy.groups import ALI_LT, AWS_LT, ESS_CONFIG, VMSS

AWS_INSTANCE = "aws:ec2/instance:Instance"
AZ_VM = "azure-native:compute:VirtualMachine"
ALI_INSTANCE = "alicloud:ecs/instance:Instance"

USER_DATA_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    AWS_LT: (("userData",),),
    AWS_INSTANCE: (("userData",), ("userDataBase64",)),
    VMSS: (("virtualMachineProfile", "osProfile", "customData"), ("virtualMachineProfile", "userData")),
    AZ_VM: (("osProfile", "customData"), ("userData",)),
    ESS_CONFIG: (("userData",),),
    ALI_LT: (("userData",), ("userdata",)),
    ALI_INSTANCE: (("userData",),),
}
"""Resource type -> property paths holding user data (base64 or plain)."""

MAX_DECODED = 4 * 1024 * 1024
"""Stop inflating gzip user data beyond this (cloud-init accepts gzip; real payloads are KBs)."""

_NOT_SECRET = r"(?:true|false|null|none|yes|no|required|optional|enabled|disabled|changeme)\b"


@dataclass(frozen=True)
class Pattern:
    """A secret pattern, the lower-case literals every match contains, and how far before
    such a literal a match can start.

    The scanner only tries the expression, anchored, just before each literal it finds,
    which keeps the policy fast on large fleets (one alternation over all user data was
    the pack's hot spot in bench/policy_eval.py).
    """

    kind: str
    regex: re.Pattern[str]
    triggers: tuple[str, ...]
    lead: int = 0


PATTERNS: tuple[Pattern, ...] = (
    # Well-known key formats; sources: AWS IAM "access key ID" prefixes AKIA (long-term) / ASIA
    # (temporary); GitHub token prefixes (github.blog 2021-04-05 "new token formats"); Alibaba
    # AccessKey IDs start with LTAI (UNVERIFIED); Hugging Face tokens start with hf_ (UNVERIFIED).
    Pattern("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), ("akia", "asia")),
    Pattern(
        "an AWS secret access key",
        re.compile(r"(?i:aws_?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}"),
        ("secret",),
        lead=4,
    ),
    Pattern(
        "a private key",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
        ("private key",),
        lead=21,
    ),
    Pattern("an Azure storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{40,}"), ("accountkey=",)),
    Pattern("an Alibaba AccessKey id", re.compile(r"\bLTAI[0-9A-Za-z]{12,24}\b"), ("ltai",)),
    Pattern("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    Pattern("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), ("xox",)),
    Pattern("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), ("hf_",)),
    Pattern("a bearer token", re.compile(r"(?i:authorization:\s*bearer)\s+[A-Za-z0-9._~+/-]{20,}"), ("authorization",)),
    # key = value / key: value with a literal value. References ($VAR, {{ }}, <...>) and
    # booleans/placeholders are not secrets; keys glued to a prefix (lock_passwd) do not match.
    Pattern(
        "a password or secret assignment",
        re.compile(
            r"(?i:\b(?:password|passwd|pwd|secret|secret[_-]?key|client[_-]?secret|api[_-]?key|access[_-]?key"
            r"|auth[_-]?token|token)\b)[\"']?[ \t]*[:=][ \t]*[\"']?(?![$%<{]|" + _NOT_SECRET + r")[^\s\"'#,;]{6,}"
        ),
        ("pass", "pwd", "secret", "key", "token"),
        lead=7,  # "client_secret", "access_key": the literal sits up to 7 characters into the key
    ),
)

SECRETS_SCHEMA = schema(
    {
        "extraPatterns": {
            "type": "array",
            "items": {"type": "string", "format": "regex", "minLength": 1},
            "uniqueItems": True,
            "default": [],
            "description": "More regular expressions (Python syntax) that mark a secret in decoded user data.",
        },
    }
)


def decode_user_data(value: str) -> str:
    """The text cloud-init would see: base64 and gzip undone, MIME parts decoded and joined."""
    compact = "".join(value.split())
    data: bytes | None = None
    if compact and len(compact) % 4 == 0:
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            data = None
    if data is not None and data[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, MAX_DECODED)
        except zlib.error:
            data = None
    text = value
    if data is not None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = value  # not text after all: scan what was given
    if "multipart/" in text[:2048].lower():
        text = _mime_text(text)
    return text


def _mime_text(text: str) -> str:
    message = email.message_from_string(text)
    parts = [text]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode("utf-8", errors="replace"))
    return "\n".join(parts)


@dataclass(frozen=True)
class Finding:
    kind: str
    line: int


def _line_of(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def _find(text: str, lower: str, pattern: Pattern) -> list[int]:
    """Start offsets of the lines where ``pattern`` matches (one finding per line)."""
    lines: list[int] = []
    for trigger in pattern.triggers:
        at = lower.find(trigger)
        while at != -1:
            line_start = text.rfind("\n", 0, at) + 1
            if line_start not in lines:
                line_end = text.find("\n", at)
                line_end = len(text) if line_end == -1 else line_end
                for pos in range(max(line_start, at - pattern.lead), at + 1):
                    if pattern.regex.match(text, pos, line_end):
                        lines.append(line_start)
                        break
            at = lower.find(trigger, at + 1)
    return lines


def scan(text: str, extra: Iterable[str] = ()) -> list[Finding]:
    """Secrets found in ``text``: what kind and on which line (the values are never reported)."""
    found: list[Finding] = []
    if text.isascii():  # lower() keeps offsets only for ASCII
        lower = text.lower()
        for pattern in PATTERNS:
            found += [Finding(pattern.kind, _line_of(text, at)) for at in _find(text, lower, pattern)]
    else:
        for pattern in PATTERNS:
            lines = {_line_of(text, m.start()) for m in pattern.regex.finditer(text)}
            found += [Finding(pattern.kind, line) for line in lines]
    for i, regex in enumerate(extra):
        # User patterns have no trigger literals, so they scan everything.
        lines = {_line_of(text, m.start()) for m in re.finditer(regex, text, re.MULTILINE)}
        found += [Finding(f"a match of extraPatterns[{i}]", line) for line in lines]
    return sorted(found, key=lambda f: (f.line, f.kind))


def validate_secrets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    fields = USER_DATA_FIELDS.get(args.resource_type)
    if not fields:
        return
    config = settings(args.get_config(), SECRETS_SCHEMA)
    for path in fields:
        value = p.get(args.props, *path)
        if not isinstance(value, str) or not value:
            continue
        findings = scan(decode_user_data(value), config["extraPatterns"])
        if not findings:
            continue
        what = "; ".join(f"{f.kind} on line {f.line}" for f in findings[:5])
        more = f" (and {len(findings) - 5} more)" if len(findings) > 5 else ""
        report_violation(
            f"{args.resource_type} '{args.name}': {'.'.join(path)} contains what looks like {what}{more}. Anyone "
            "who can read the launch configuration or the instance metadata can read it: fetch secrets at boot "
            "from a secret store (Secrets Manager, Key Vault, KMS) with the node's identity instead.",
            None,
        )


NO_SECRETS_IN_USER_DATA = ResourceValidationPolicy(
    name="no-secrets-in-user-data",
    description="User data and custom data must not contain keys, tokens or passwords.",
    validate=validate_secrets,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=SECRETS_SCHEMA,
    severity=Severity.CRITICAL,
    remediation_steps="Move secrets to a secret store and fetch them at boot with the instance identity.",
)
