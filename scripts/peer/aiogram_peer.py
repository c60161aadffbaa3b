"""The Python peer of `scripts/bench`: an aiogram 3 multibot webhook server doing the same
ingest work as Tombola's `/tg/` route — one URL per bot token (aiogram's
TokenBasedRequestHandler), the secret header checked, each update stored in SQLite before
the answer. Run by the benchmark in a throw-away venv: python aiogram_peer.py PORT DB SECRET

It stores with `synchronous = NORMAL` in WAL mode, the same promise as Tombola's inbox
writer by default (see docs/performance.md, "Durability").
"""

import secrets
import sqlite3
import sys

from aiohttp import web
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import TokenBasedRequestHandler, setup_application

PORT, DB_PATH, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3]

db = sqlite3.connect(DB_PATH, isolation_level=None, check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute(
    "CREATE TABLE IF NOT EXISTS inbox (bot_id INTEGER NOT NULL, update_id INTEGER NOT NULL,"
    " payload TEXT NOT NULL, PRIMARY KEY (bot_id, update_id))"
)

dispatcher = Dispatcher()


@dispatcher.update.outer_middleware()
async def store(handler, event: Update, data):
    """Every update is stored (once) before any handler sees it."""
    bot: Bot = data["bot"]
    db.execute(
        "INSERT OR IGNORE INTO inbox (bot_id, update_id, payload) VALUES (?, ?, ?)",
        (bot.id, event.update_id, event.model_dump_json(exclude_unset=True)),
    )
    return await handler(event, data)


class Handler(TokenBasedRequestHandler):
    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        return secrets.compare_digest(telegram_secret_token, SECRET)


app = web.Application()
# handle_in_background=False: the update is stored (by the middleware) before the 200.
Handler(dispatcher=dispatcher, handle_in_background=False).register(app, path="/webhook/{bot_token}")
setup_application(app, dispatcher)
web.run_app(app, host="127.0.0.1", port=PORT, print=None, access_log=None)
