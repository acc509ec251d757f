"""An OpenID Connect identity provider in the test process: a real HTTP server on loopback with a
discovery document, a key set, and a token endpoint that checks PKCE and returns the ID token a test
asked for, signed with RS256 (PyJWT and cryptography)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class FakeIssuer:
    CLIENT_ID = "pestrack-portal"
    CLIENT_SECRET = "test-secret"
    KID = "key-1"

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        public = self.key.public_key().public_numbers()
        return {
            "keys": [
                {"kty": "RSA", "kid": self.KID, "use": "sig", "alg": "RS256", "n": _b64(public.n), "e": _b64(public.e)}
            ]
        }

    def id_token(self, claims: dict, *, key=None) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.KID})

    def claims(self, number: str, nonce: str, **changes) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "subject-1",
            "aud": self.CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "personal_identity_number": number,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def issue_code(self, code: str, token: str, code_challenge: str) -> None:
        """The code the browser would bring back from the provider, for ``token``."""
        self.codes[code] = {"token": token, "challenge": code_challenge}

    def _handler(self):
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    return self._json(200, issuer.discovery())
                if self.path == "/jwks":
                    return self._json(200, issuer.jwks())
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                if self.path != "/token":
                    return self._json(404, {"error": "not_found"})
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                entry = issuer.codes.pop(form.get("code", ""), None)
                if (
                    entry is None
                    or form.get("client_id") != issuer.CLIENT_ID
                    or form.get("client_secret") != issuer.CLIENT_SECRET
                ):
                    return self._json(400, {"error": "invalid_grant"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if challenge != entry["challenge"]:
                    return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                return self._json(200, {"id_token": entry["token"], "access_token": "at", "token_type": "Bearer"})

        return Handler
