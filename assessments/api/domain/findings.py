"""Stable finding ids: a roadmap item or a finding named by its system and its recommendation
(or question), so the id survives re-scoring and milestones (every assessment of a system
shares it) and a tracker import can match the ticket it made before. Pure."""


def finding_id(system_id: int, key: str) -> str:
    return f"scaleready:{system_id}:{key}"
