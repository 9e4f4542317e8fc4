"""All conversation routers, collected in one place (order matters: commands first)."""

from aiogram import Router

from handlers import coordinator, errors, menu, monitoring, networks, places, search, start, volunteer


def setup_routers() -> list[Router]:
    """The routers in the order the dispatcher tries them.

    They hang directly from the dispatcher, not from a common root router: every level
    of routers is another round of aiogram's propagation for each update.
    """
    return [
        search.make_question_router(),  # plain questions outside forms: the busiest path first
        coordinator.make_router(),  # invite deep links before the plain /start
        start.make_router(),
        volunteer.make_router(),  # form steps before the menu and free-text search
        networks.make_router(),
        monitoring.make_router(),
        menu.make_router(),
        places.make_router(),
        search.make_router(),
        errors.make_router(),
    ]
