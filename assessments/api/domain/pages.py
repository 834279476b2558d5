"""Pagination of list endpoints: a page number and size in, a slice and links out. Pure."""

from dataclasses import dataclass

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class PageInvalid(ValueError):
    pass


@dataclass(frozen=True)
class PageRequest:
    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_request(page: int | None, size: int | None) -> PageRequest:
    page = 1 if page is None else page
    size = DEFAULT_PAGE_SIZE if size is None else size
    if page < 1:
        raise PageInvalid("page starts at 1")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise PageInvalid(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    return PageRequest(page, size)


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))
