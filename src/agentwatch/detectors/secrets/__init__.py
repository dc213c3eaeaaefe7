"""Secret detectors: provider API keys, private keys, JWTs and generic high-entropy credentials."""

from __future__ import annotations

from agentwatch.detectors.base import Detector
from agentwatch.detectors.secrets.generic import GenericSecretDetector
from agentwatch.detectors.secrets.jwt import JWTDetector
from agentwatch.detectors.secrets.keys import (
    AnthropicKeyDetector,
    AWSAccessKeyDetector,
    GitHubTokenDetector,
    GoogleAPIKeyDetector,
    OpenAIKeyDetector,
    PrivateKeyDetector,
    SlackTokenDetector,
    StripeKeyDetector,
)

#: The finding types this family reports.
TYPES = (
    "openai_key",
    "anthropic_key",
    "aws_access_key",
    "github_token",
    "slack_token",
    "stripe_key",
    "google_api_key",
    "private_key",
    "jwt",
    "generic_secret",
)


def detectors() -> list[Detector]:
    return [
        OpenAIKeyDetector(),
        AnthropicKeyDetector(),
        AWSAccessKeyDetector(),
        GitHubTokenDetector(),
        SlackTokenDetector(),
        StripeKeyDetector(),
        GoogleAPIKeyDetector(),
        PrivateKeyDetector(),
        JWTDetector(),
        GenericSecretDetector(),
    ]
