"""Keys, a JWKS served over loopback and signed tokens, for the bearer-token tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://issuer.example/realms/crm"
AUDIENCE = "tmf683"
READ = "tmf683:read"
WRITE = "tmf683:write"


class Keys:
    """An RSA and an EC (P-256) key pair of the issuer, and a stranger's RSA key."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self, *kids: str) -> dict[str, Any]:
        """The issuer's public JWKS: ``rsa`` and ``ec`` (and more RSA kids given)."""
        keys = [self.jwk(self.rsa, "rsa"), self.jwk(self.ec, "ec")]
        keys += [self.jwk(self.rsa, kid) for kid in kids]
        return {"keys": keys}

    @staticmethod
    def jwk(private: Any, kid: str) -> dict[str, Any]:
        algorithm = (
            RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else ECAlgorithm
        )
        public: dict[str, Any] = algorithm.to_jwk(private.public_key(), as_dict=True)
        return {**public, "kid": kid, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.rsa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def claims(**overrides: Any) -> dict[str, Any]:
    """Good claims (both scopes, valid for five minutes), with ``overrides``.

    An override of ``None`` removes the claim.
    """
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "agent-7",
        "iat": now,
        "exp": now + 300,
        "scope": f"{READ} {WRITE}",
    }
    merged = {**base, **overrides}
    return {name: value for name, value in merged.items() if value is not None}


def sign(
    key: Any, kid: str | None = "rsa", alg: str = "RS256", **overrides: Any
) -> str:
    """A JWT of :func:`claims` signed with ``key``."""
    return sign_payload(key, claims(**overrides), kid=kid, alg=alg)


def sign_payload(
    key: Any, payload: dict[str, Any], kid: str | None = "rsa", alg: str = "RS256"
) -> str:
    """A JWT of exactly ``payload`` (``None`` values are sent as JSON ``null``)."""
    headers = {} if kid is None else {"kid": kid}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_hs256(public_pem: bytes, kid: str = "rsa") -> str:
    """The key-confusion attack: HS256 with the issuer's public key as the secret.

    PyJWT refuses to sign this, so the test builds it by hand.
    """
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps(claims()).encode())
    signing_input = f"{header}.{payload}".encode()
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(mac)}"


def unsigned() -> str:
    """An ``alg: none`` token with good claims."""
    return jwt.encode(claims(), "", algorithm="none", headers={"kid": "rsa"})


class JwksServer:
    """Serves ``jwks`` at ``url`` over loopback and counts the fetches.

    Set ``status`` to answer with another status (the body stays the JWKS).
    ``port`` 0 takes a free one; give the ``port`` of a closed server to bring it
    back. ``host`` is the address listened on (``"0.0.0.0"`` for every interface);
    ``url`` names 127.0.0.1 unless ``url_host`` says another.
    """

    def __init__(
        self,
        jwks: dict[str, Any],
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        url_host: str = "127.0.0.1",
    ) -> None:
        self.jwks = jwks
        self.status = 200
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = json.dumps(owner.jwks).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.port = self.httpd.server_port
        self.url = f"http://{url_host}:{self.port}/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@contextmanager
def jwks_served(jwks: dict[str, Any], **where: Any) -> Iterator[JwksServer]:
    """A :class:`JwksServer` (``where``: its ``port``, ``host``, ``url_host``)."""
    server = JwksServer(jwks, **where)
    try:
        yield server
    finally:
        server.close()


class FakeClock:
    """Monotonic seconds a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
