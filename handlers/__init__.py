"""All conversation routers, collected in one place (order matters: commands first)."""

from aiogram import Router

from handlers import errors, menu, places, search, start


def setup_routers() -> Router:
    root = Router(name="root")
    root.include_routers(
        start.make_router(),
        menu.make_router(),
        places.make_router(),
        search.make_router(),
        errors.make_router(),
    )
    return root
