"""Source rules as data: names, hosts, push kinds, settings keys and the facts the
research notes leave open (``unverified``). Each source's ``rules.py`` builds one."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SourceRules:
    id: str
    name_zh: str
    name_en: str
    production_base_url: str
    sandbox_base_url: str
    push_kinds: tuple[str, ...]  # /api/v1/sources/{id}/{kind}
    money_unit: str  # what the order fields use on the wire ("yuan", "fen")
    credential_keys: tuple[str, ...] = ()  # [sources.<id>] keys
    secret_keys: tuple[str, ...] = ()  # those of them kept in the secret store
    rehearsal_credentials: dict[str, str] = field(default_factory=dict)
    default_options: dict[str, object] = field(default_factory=dict)
    unverified: tuple[str, ...] = ()  # [~]/[?] facts made options, marked ASSUMED in code
    syncs_back: bool = True  # False: the platform has no status write-back (有赞)
    # the ``[sources.<id>] mode`` values it supports: no pull API → ("off", "push"), no push
    # to a delivery partner → ("off", "pull"); the settings page offers only these and the
    # settings schema refuses any other (``mode_error``)
    modes: tuple[str, ...] = ("off", "push", "pull")

    def mode_error(self, mode: str) -> str | None:
        """Why ``mode`` cannot be used for this source, or None when it can."""
        if mode in self.modes:
            return None
        why = {"pull": "it has no order pull API", "push": "it pushes no orders"}.get(
            mode, "unknown mode"
        )
        return (
            f'[sources.{self.id}] mode = "{mode}" is not supported by {self.name_zh} '
            f"({self.name_en}): {why}; use one of {', '.join(self.modes)}"
        )
