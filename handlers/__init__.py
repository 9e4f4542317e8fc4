"""All conversation routers, collected in one place (order matters: commands first)."""

from aiogram import Router

from handlers import (
    coordinator,
    errors,
    groups,
    menu,
    monitoring,
    networks,
    places,
    search,
    start,
    volunteer,
)


def setup_routers(group_mode: str = "answer") -> list[Router]:
    """The routers in the order the dispatcher tries them.

    They hang directly from the dispatcher, not from a common root router: every level
    of routers is another round of aiogram's propagation for each update. All but
    `places` (buttons under public answers) and `groups` run in private chats only.
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
        coordinator.make_after_cancel_router(),
        search.make_router(),
        groups.make_router(answer=group_mode == "answer"),
        errors.make_router(),
    ]
