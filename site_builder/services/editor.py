"""Who is editing: a user name and a role, as carried by an API token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..model import Project

Role = Literal["organiser", "member"]


@dataclass(frozen=True, slots=True)
class Editor:
    """Organisers may change everything; members only projects whose team lists them."""

    user: str
    role: Role

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"

    def on_team(self, project: Project) -> bool:
        return self.user in project.team_members

    def may_edit(self, project: Project) -> bool:
        return self.is_organiser or self.on_team(project)
