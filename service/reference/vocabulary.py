"""Closed vocabularies shared across domains (offers' accessibility, persons' needs, reports).

Import from here rather than redefining: an offer matches a person's needs only when both speak
the same words.
"""

from enum import StrEnum


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
