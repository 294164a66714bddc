"""A small Dockerfile reader: instructions with continuation lines joined and comments dropped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str

    def exec_form(self) -> list[str]:
        """The JSON array of ENTRYPOINT/CMD/RUN in exec form."""
        parsed = json.loads(self.value)
        assert isinstance(parsed, list)
        assert all(isinstance(item, str) for item in parsed)
        return parsed


def parse(path: Path) -> list[Instruction]:
    instructions = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, value = line.partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(value.split())))
    assert not pending, f"{path}: ends inside a continuation line"
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions split per FROM; each stage starts with its FROM."""
    found: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            found.append([])
        assert found, "a Dockerfile starts with FROM (after ARGs, which these do not use)"
        found[-1].append(instruction)
    return found
