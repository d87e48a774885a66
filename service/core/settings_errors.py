"""Configuration errors that name the setting and the rule — never the value.

Pydantic's own message for a failed model carries `input_value=…`: the whole environment it read, secrets
included. Operators see this text in a terminal, a container log or a CI transcript, so it is rebuilt here
from the error's location and rule only, and the original error is not chained.
"""

from typing import Any

from pydantic import AliasChoices, ValidationError


class ConfigurationError(Exception):
    """One or more settings break a rule. `str()` is one line: `SETTING: rule; SETTING: rule`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def environment_name(settings_class: Any, field: str) -> str:
    """The environment variable an operator sets for `field` (its alias, else prefix + NAME)."""
    info = settings_class.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    if isinstance(alias, str):
        return alias
    prefix = settings_class.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def from_validation_error(exc: ValidationError, settings_class: Any) -> ConfigurationError:
    problems = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        message = str(err["msg"]).removeprefix("Value error, ")
        loc = [str(p) for p in err["loc"]]
        if loc:
            # Field rules ("Input should be greater than or equal to 60") never quote the input.
            problems.append(f"{environment_name(settings_class, loc[0])}: {message}")
        else:
            # Model rules raise our own messages, which already name the setting.
            problems.append(message)
    return ConfigurationError(problems)
