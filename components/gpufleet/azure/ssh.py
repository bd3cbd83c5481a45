"""OpenSSH public key checks for Azure Linux scale sets (pure; used at spec time)."""

from __future__ import annotations

import base64
import binascii
import struct

# Azure accepts SSH-2 RSA keys of at least 2048 bits and ED25519 keys; ECDSA and other
# formats are not supported [DOC: MicrosoftDocs/azure-compute-docs
# articles/virtual-machines/includes/virtual-machines-common-ssh-support.md].
SUPPORTED_TYPES = ("ssh-ed25519", "ssh-rsa")
RSA_MIN_BITS = 2048

# Admin user names Azure refuses [SDK: pulumi_azure_native compute
# VirtualMachineScaleSetOSProfileArgs.admin_username docstring, "Disallowed values"].
DISALLOWED_ADMIN_NAMES = frozenset(
    {
        *("administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1", "123"),
        *("a", "actuser", "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner"),
        *("root", "server", "sql", "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5"),
    }
)


def _fields(blob: bytes) -> list[bytes]:
    """Split the SSH wire format: a sequence of uint32-length-prefixed strings."""
    out: list[bytes] = []
    i = 0
    while i < len(blob):
        if i + 4 > len(blob):
            raise ValueError("truncated key data")
        (n,) = struct.unpack(">I", blob[i : i + 4])
        i += 4
        if i + n > len(blob):
            raise ValueError("truncated key data")
        out.append(blob[i : i + n])
        i += n
    return out


def key_problem(line: str) -> str | None:
    """Why Azure would refuse this public key line, or None if it looks right."""
    parts = line.split()
    if len(parts) < 2:
        return "is not an OpenSSH public key line ('<type> <base64> [comment]', e.g. from ~/.ssh/id_ed25519.pub)"
    kind, data = parts[0], parts[1]
    if kind not in SUPPORTED_TYPES:
        if kind.startswith("-----BEGIN") or "PRIVATE" in line:
            return "looks like a private key; give the PUBLIC key (the .pub file)"
        return f"key type '{kind}' is not supported by Azure; use {' or '.join(SUPPORTED_TYPES)}"
    try:
        fields = _fields(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return "has key data that is not valid base64 SSH wire format"
    if not fields or fields[0].decode("ascii", "replace") != kind:
        return f"says '{kind}' but its key data is of another type"
    if kind == "ssh-rsa":
        if len(fields) != 3:
            return "has malformed RSA key data"
        bits = int.from_bytes(fields[2], "big").bit_length()
        if bits < RSA_MIN_BITS:
            return f"is a {bits}-bit RSA key; Azure needs at least {RSA_MIN_BITS} bits (or use ssh-ed25519)"
    elif len(fields) != 2 or len(fields[1]) != 32:
        return "has malformed ED25519 key data"
    return None
