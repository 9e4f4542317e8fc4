"""All conversation routers, collected in one place (order matters: commands first)."""

from aiogram import Router

from handlers import coordinator, errors, menu, monitoring, networks, places, search, start, volunteer


def setup_routers() -> Router:
    root = Router(name="root")
    root.include_routers(
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
    )
    return root
