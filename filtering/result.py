"""ListResult: what filtering.execute returns to the list view."""

from collections.abc import Iterator

from nodes.full_list import decode_checked, decode_reply
from nodes.serialize import Liveness, lines_to_json_text, nodes_to_json_text


class ListResult:
    """The nodes of a list, or for the full list the replies that hold them.

    ``replies`` (full_list.iter_replies) is read lazily and once: json_text formats
    each reply as it arrives, so Python's work on one chunk overlaps Redis's work
    on the next, and ``nodes`` decodes them all into dicts.
    """

    def __init__(
        self,
        nodes: list | None = None,
        next_cursor: str | None = None,
        replies: Iterator[str] | None = None,
    ) -> None:
        self._nodes = nodes
        self._replies = replies
        self.next_cursor = next_cursor

    @property
    def nodes(self) -> list[dict]:
        if self._nodes is None:
            replies, self._replies = self._replies or (), None
            self._nodes = [node for lines in replies for node in decode_reply(lines)]
        return self._nodes

    def json_text(self, liveness: Liveness, now_ms: int) -> str:
        """Return the JSON array of the nodes, as the list view sends it; once."""
        if self._nodes is None and self._replies is not None:
            replies, self._replies = self._replies, None
            return lines_to_json_text(replies, liveness, now_ms, decode_checked)
        return nodes_to_json_text(self.nodes, liveness, now_ms)
