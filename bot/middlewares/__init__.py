from bot.middlewares.database import DbSessionMiddleware
from bot.middlewares.person import PersonMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware

__all__ = ["DbSessionMiddleware", "PersonMiddleware", "ThrottlingMiddleware"]
