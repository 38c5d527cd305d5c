"""The error a filter specification raises when it is invalid."""


class SpecError(ValueError):
    """An invalid part of a filter spec, with its path such as filter.or[1].gpu_mem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message

    def as_errors(self) -> dict:
        return {self.path or "_schema": [self.message]}
