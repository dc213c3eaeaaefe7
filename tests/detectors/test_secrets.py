"""Every secret detector, table-driven: real-shaped credentials beside look-alikes that must not fire."""

from __future__ import annotations

import base64
import json
import random
import string
import zlib

import pytest

from agentwatch.detectors import DetectorRegistry

SECRETS = DetectorRegistry(["agentwatch.detectors.secrets:detectors"], plugins=False)
RNG = random.Random(4)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def github_token(prefix: str = "ghp_") -> str:
    """GitHub's format: 30 random characters, then the CRC-32 of them in base62, six characters."""
    body = rand(30)
    crc, digits = zlib.crc32(body.encode()), ""
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    while crc:
        crc, d = divmod(crc, 62)
        digits = alphabet[d] + digits
    return prefix + body + digits.rjust(6, "0")


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


OPENAI = "sk-proj-" + rand(48, ALNUM + "_-")
OPENAI_LEGACY = "sk-" + rand(48)
ANTHROPIC = "sk-ant-api03-" + rand(93, ALNUM + "_-") + "AA"
AWS = "AKIA" + rand(16, string.ascii_uppercase + "234567")
GITHUB, GITHUB_BAD = github_token(), github_token()[:-1] + "0"
GITHUB_PAT = "github_pat_" + rand(82, ALNUM + "_")
SLACK = "xoxb-1234567890-1234567890123-" + rand(24)
SLACK_HOOK = "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/" + rand(24)
STRIPE = "sk_live_" + rand(24)
GOOGLE = "AIza" + rand(35, ALNUM + "_-")
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + rand(64) + "\n-----END RSA PRIVATE KEY-----"
PEM_BODY = "\n".join(["MIIEowIBAAKCAQEA" + rand(48)] + [rand(64) for _ in range(3)])
PEM_CUT = "-----BEGIN RSA PRIVATE KEY-----\n" + PEM_BODY[:150]  # a reply cut by max_tokens
PEM_ENCRYPTED_CUT = (
    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
    + rand(32, "0123456789ABCDEF")
    + "\n\n"
    + PEM_BODY
)
PEM_CUT_ESCAPED = PEM_CUT.replace("\n", "\\n")  # inside a JSON string or a log line
JWT = ".".join(
    (b64url({"alg": "HS256", "typ": "JWT"}), b64url({"sub": "42", "name": "Jan"}), rand(43, ALNUM + "_-"))
)
NOT_JWT = ".".join((b64url({"typ": "JWT"}), b64url({"sub": "42"}), rand(43)))  # no "alg"
PASSWORD = "Tr0ub4dor&3-" + rand(6)

# (type, text, the values that must be found: empty for a look-alike)
CASES: list[tuple[str, str, list[str]]] = [
    ("openai_key", f"OPENAI_API_KEY={OPENAI}", [OPENAI]),
    ("openai_key", f"use {OPENAI_LEGACY} for the old project", [OPENAI_LEGACY]),
    ("openai_key", "set it to sk-your-key-here-xxxxxxxxxxxxxxxxxxxxxxxxxxxx", []),
    ("openai_key", "the risk-assessment-and-mitigation-plan-for-2026-q3 doc", []),
    ("anthropic_key", f"x-api-key: {ANTHROPIC}", [ANTHROPIC]),
    ("anthropic_key", "sk-ant-api03-short", []),
    ("aws_access_key", f"aws_access_key_id = {AWS}", [AWS]),
    ("aws_access_key", "AKIAAAAAAAAAAAAAAAAA and AKIA1234 and XAKIA" + AWS[4:], []),
    ("github_token", f"git clone https://{GITHUB}@github.com/o/r", [GITHUB]),
    ("github_token", f"token {GITHUB_PAT}", [GITHUB_PAT]),
    ("github_token", f"token {GITHUB_BAD}", []),  # checksum does not match
    ("slack_token", f"SLACK_BOT_TOKEN={SLACK}", [SLACK]),
    ("slack_token", f"webhook {SLACK_HOOK}", [SLACK_HOOK]),
    ("slack_token", "xoxb-not-a-token", []),
    ("stripe_key", f"stripe.api_key = '{STRIPE}'", [STRIPE]),
    ("stripe_key", "pk_live_" + rand(24) + " is publishable, not secret", []),
    ("google_api_key", f"key={GOOGLE}&q=x", [GOOGLE]),
    ("google_api_key", "AIzaShort", []),
    ("private_key", f"id_rsa:\n{PEM}\n", [PEM]),
    ("private_key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----", []),
    ("private_key", f"Here is the key:\n{PEM_CUT}", [PEM_CUT]),
    ("private_key", f"{PEM_CUT}\nRotate it now, please.", [PEM_CUT]),
    ("private_key", f"{PEM_ENCRYPTED_CUT}\n", [PEM_ENCRYPTED_CUT]),
    ("private_key", f'{{"content": "{PEM_CUT_ESCAPED}", "role": "assistant"}}', [PEM_CUT_ESCAPED]),
    ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n(truncated)", []),
    ("private_key", "Look for a line like -----BEGIN PRIVATE KEY----- at the top of the file.", []),
    ("jwt", f"Authorization: Bearer {JWT}", [JWT]),
    ("jwt", f"not a token: {NOT_JWT}", []),
    ("jwt", "eyJhbGciOi.bm90.anNvbg is not JSON", []),
    ("generic_secret", f'password: "{PASSWORD}"', [PASSWORD]),
    ("generic_secret", "db_password=9f8A7b6C5d4E3f2", ["9f8A7b6C5d4E3f2"]),
    ("generic_secret", "hasło: Zaq12wsx!Cde3", ["Zaq12wsx!Cde3"]),
    ("generic_secret", "password: <your password>, token = ${API_TOKEN}, secret: null", []),
    ("generic_secret", "the secret is patience; passwords: longer is better", []),
    ("generic_secret", "token: xxxxxxxxxxxx and api_key: ******** here", []),
    ("generic_secret", "SECRET_KEY: 'a8F3kL0pQ7zX2mN9'", ["a8F3kL0pQ7zX2mN9"]),
    ("generic_secret", "balancing authenticity : https://t.co/S5pUlpNwT3", []),
    ("generic_secret", "tokens: 4096 and passwords: 12 characters minimum", []),
]


@pytest.mark.parametrize(("type_", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1][:30]}" for c in CASES])
def test_detector(type_: str, text: str, expected: list[str]) -> None:
    found = [text[f.start or 0 : f.end or 0] for f in SECRETS.scan(text) if f.type == type_]
    assert found == expected


def test_a_known_key_is_not_also_a_generic_secret() -> None:
    found = SECRETS.scan(f"api_key = {OPENAI}")
    assert [(f.kind, f.type) for f in found] == [("secret", "openai_key")]


def test_benign_code_and_prose_have_no_secrets() -> None:
    text = (
        "def login(password: str) -> Token:\n"
        "    token = create_token(user)  # the secret sauce\n"
        "    return token\n"
        "commit 3f2a91c0d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3, id 123e4567-e89b-12d3-a456-426614174000\n"
    )
    assert SECRETS.scan(text) == []
