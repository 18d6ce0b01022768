"""The administrator's configuration mistakes: collected trait by trait, never fatal, never
silently dropped.

jupyter_server runs an extension whose configuration fails to load with every trait at its
default, the admin's whole policy dropped. :class:`CollectConfigErrors` (a base of
``SmCostApp``) loads the configuration one trait at a time instead: a bad value (wrong type,
failed validation, a flag given twice) leaves that trait at its previous value and is
recorded with a short sentence; the service then reports it and refuses to stop or switch
anything until it is fixed."""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, Optional

from traitlets import TraitError
from traitlets.config import Config, Configurable

# a mixin: no config section of its own (Configurable only for the type checker)
_Base = Configurable if TYPE_CHECKING else object

#: how long a configuration error message may get (it quotes the admin's value)
MESSAGE_CHARS = 240
_TRAIT_ERROR = re.compile(
    r"^The '(?P<name>\w+)' trait of (?:an? \w+|<[^>]*>) instance (?P<rest>.*)$", re.S
)


def config_message(name: str, error: Exception) -> str:
    """``SmCostApp.<name>: <what is wrong>``, short, from a traitlets or validator error."""
    text = str(error).strip()
    m = _TRAIT_ERROR.match(text)
    if m:
        text = m.group("rest")
    elif text.startswith(f"{name} "):
        text = text[len(name) + 1 :]
    text = " ".join(text.split()).rstrip(".")
    if len(text) > MESSAGE_CHARS:
        text = text[: MESSAGE_CHARS - 1] + "…"
    return f"SmCostApp.{name}: {text}"


def did_you_mean(name: str, options: Any) -> str:
    close = get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


class CollectConfigErrors(_Base):
    """Loads configuration trait by trait; :meth:`check_config` lists what was wrong. Put
    it before the ``Configurable`` base; it adds no trait."""

    @property
    def config_errors(self) -> dict[str, str]:
        """Trait name -> what is wrong with the value the configuration gave it."""
        return self.__dict__.setdefault("_smcost_config_errors", {})

    def _load_config(
        self,
        cfg: Config,
        section_names: Optional[list[str]] = None,
        traits: Optional[dict[str, Any]] = None,
    ) -> None:
        """Load config trait by trait: a bad value leaves that trait at its previous value
        and is recorded in ``config_errors`` instead of failing the whole extension."""
        if traits is None:
            traits = self.traits(config=True)
        own = type(self).__name__
        named = cfg[own] if cfg._has_section(own) else Config()
        for name, value in self._find_my_config(cfg).items():
            if name not in traits:
                if name in named and not isinstance(value, Config):
                    self.config_errors[name] = (
                        f"SmCostApp.{name}: not an option of this extension"
                        + did_you_mean(name, self.class_own_traits(config=True))
                    )
                continue
            try:
                super()._load_config(Config({own: {name: value}}), section_names, traits)
            except (TraitError, ValueError, TypeError) as e:
                self.config_errors[name] = config_message(name, e)
            else:
                self.config_errors.pop(name, None)

    def cross_trait_errors(self) -> dict[str, str]:
        """Trait name -> what is wrong with its value given the others' (override)."""
        return {}

    def check_config(self) -> list[str]:
        """Every configuration error, per trait and across traits, sorted by trait."""
        errors = {**self.config_errors, **self.cross_trait_errors()}
        return [errors[k] for k in sorted(errors)]
