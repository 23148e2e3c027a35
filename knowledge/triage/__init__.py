"""Triage of every free message: intent, dispute category and urgency, with no language model."""

from knowledge.triage.classifier import Classifier, Triage, classify, default_classifier
from knowledge.triage.rules import CATEGORIES, INTENTS
from knowledge.triage.settings import TriageSettings
from knowledge.triage.urgent import URGENT_PATTERNS, Danger, find_urgent

__all__ = [
    "CATEGORIES",
    "INTENTS",
    "URGENT_PATTERNS",
    "Classifier",
    "Danger",
    "Triage",
    "TriageSettings",
    "classify",
    "default_classifier",
    "find_urgent",
]
