"""Closed vocabularies shared across domains (offers' accessibility, persons' needs, reports).

Import from here rather than redefining: an offer matches a person's needs only when both speak
the same words.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from service.core.folding import fold


class AccessibilityFeature(StrEnum):
    """What a person needs to take part, and what an offer provides (same words on both sides)."""

    wheelchair_access = "wheelchair_access"
    step_free = "step_free"
    hearing_loop = "hearing_loop"
    sign_language = "sign_language"
    easy_read = "easy_read"
    interpreter = "interpreter"
    transport_support = "transport_support"
    digital_assistance = "digital_assistance"
    quiet_space = "quiet_space"
    accessible_toilet = "accessible_toilet"
    guide_dog_welcome = "guide_dog_welcome"


ACCESSIBILITY_LABELS: dict[AccessibilityFeature, tuple[str, str]] = {
    AccessibilityFeature.wheelchair_access: ("Kørestolsadgang", "Wheelchair access"),
    AccessibilityFeature.step_free: ("Niveaufri adgang", "Step-free access"),
    AccessibilityFeature.hearing_loop: ("Teleslynge", "Hearing loop"),
    AccessibilityFeature.sign_language: ("Tegnsprog", "Sign language"),
    AccessibilityFeature.easy_read: ("Let læst materiale", "Easy-read material"),
    AccessibilityFeature.interpreter: ("Tolk", "Interpreter"),
    AccessibilityFeature.transport_support: ("Hjælp til transport", "Transport support"),
    AccessibilityFeature.digital_assistance: ("Digital hjælp", "Digital assistance"),
    AccessibilityFeature.quiet_space: ("Stille rum", "Quiet space"),
    AccessibilityFeature.accessible_toilet: ("Handicaptoilet", "Accessible toilet"),
    AccessibilityFeature.guide_dog_welcome: ("Førerhund velkommen", "Guide dog welcome"),
}

# ISO 639-1 codes the directory labels by name; any other two/three-letter ISO 639 code is accepted as is.
LANGUAGE_NAMES: dict[str, str] = {
    "da": "Dansk", "en": "English", "de": "Deutsch", "ar": "العربية", "so": "Soomaali", "tr": "Türkçe",
    "ur": "اردو", "fa": "فارسی", "uk": "Українська", "pl": "Polski", "ti": "ትግርኛ", "kl": "Kalaallisut",
    "fo": "Føroyskt", "sv": "Svenska", "nb": "Norsk bokmål", "es": "Español", "fr": "Français",
    "dsl": "Dansk tegnsprog",
}
LANGUAGE_PATTERN = r"^[a-z]{2,3}$"


# --- one vocabulary: every code list with a Danish and an English label ------------------------------------

@dataclass(frozen=True)
class Vocabulary:
    """A closed code list: its codes in order, each with a Danish and an English label.

    Domains register their lists here (at import; `service/vocabularies.py` registers those of domains that
    this module must not import); `GET /reference/vocabularies` serves them all and a test checks that every
    enum a DTO uses has one, with both labels for every code.
    """

    name: str
    description: str
    labels: dict[str, tuple[str, str]]
    enum: type[StrEnum] | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # more spellings accepted on import → code

    def codes(self) -> list[str]:
        """Every code: the enum's members in their order (labelled or not), else the labelled codes."""
        return [m.value for m in self.enum] if self.enum is not None else list(self.labels)

    def missing(self) -> list[str]:
        """Codes without both labels (the vocabulary test fails on any)."""
        return [c for c in self.codes() if not all(self.labels.get(c, ("", "")))]

    def label(self, code: str, language: str = "da") -> str:
        da, en = self.labels.get(code, (code, code))
        return da if language == "da" else en

    def lookup(self, text: str) -> str | None:
        """The code a person typed: the code itself, a label in either language, or an alias (folded)."""
        if text in self.labels:
            return text
        return self._spellings.get(fold(text).replace(" ", "_"))

    @cached_property
    def _spellings(self) -> dict[str, str]:
        """Folded code, labels and aliases → code (built once; an import looks up thousands of cells)."""
        spellings = dict(self.aliases)
        for code, (da, en) in reversed(list(self.labels.items())):  # the first code wins a shared label
            for spelling in (en, da, code):
                spellings[fold(spelling).replace(" ", "_")] = code
        return spellings


_VOCABULARIES: dict[str, Vocabulary] = {}


def register_vocabulary(name: str, labels: Mapping[Any, tuple[str, str]], *, description: str,
                        enum: type[StrEnum] | None = None, aliases: dict[str, str] | None = None) -> Vocabulary:
    """Register a code list. Labels are keyed by member (or code), so a member whose value changes keeps its
    labels; a member without labels is served under its code and fails tests/test_vocabulary.py."""
    plain = {str(code.value if isinstance(code, StrEnum) else code): pair for code, pair in labels.items()}
    vocabulary = Vocabulary(name=name, description=description, labels=plain, enum=enum, aliases=aliases or {})
    _VOCABULARIES[name] = vocabulary
    return vocabulary


def vocabularies() -> list[Vocabulary]:
    return [_VOCABULARIES[name] for name in sorted(_VOCABULARIES)]


def vocabulary(name: str) -> Vocabulary | None:
    return _VOCABULARIES.get(name)


ACCESSIBILITY = register_vocabulary(
    "accessibility", ACCESSIBILITY_LABELS, enum=AccessibilityFeature,
    description="What a person needs to take part, and what an offer provides.")
