"""What `check` and start-up report: a problem with its file, line and severity."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. Errors stop the bot from loading `faq/`; warnings do not."""

    file: str
    line: int | None
    message: str
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tag = "warning: " if self.severity == WARNING else ""
        return f"{where}: {tag}{self.message}"


class KnowledgeBaseError(Exception):
    """Raised when `faq/` cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base")
