"""The "live" Python Flask app that examples/porting ports to Rust piece by piece.

Both apps share SECRET_KEY, so each reads the session cookie the other writes. Run it with
the Flask, Flask-Login and Flask-WTF from requirements.txt:

    FLASK_SECRET_KEY=change-me python legacy.py --port 5000

It prints "listening on http://127.0.0.1:PORT" once it accepts connections (port 0 picks a
free one, as the tests do).
"""

import argparse
import json
import logging
import os
import sys
import uuid
from datetime import datetime, timezone

from flask import Flask, flash, get_flashed_messages, jsonify, request, session
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_fresh,
    login_user,
    logout_user,
)
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import Markup
from werkzeug.serving import make_server

# The users both halves know (in a real port, the shared database's table).
USERS = {"1": "ada", "2": "bob"}
PASSWORDS = {"ada": "ada-password", "bob": "bob-password"}


class User(UserMixin):
    def __init__(self, user_id):
        self.id = user_id
        self.name = USERS[user_id]


def create_app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ["FLASK_SECRET_KEY"]
    fallbacks = os.environ.get("FLASK_SECRET_KEY_FALLBACKS")
    if fallbacks:
        app.config["SECRET_KEY_FALLBACKS"] = json.loads(fallbacks)
    lifetime = os.environ.get("FLASK_PERMANENT_SESSION_LIFETIME")
    if lifetime:
        app.config["PERMANENT_SESSION_LIFETIME"] = int(lifetime)

    login_manager = LoginManager(app)

    @login_manager.user_loader
    def load_user(user_id):
        return User(user_id) if user_id in USERS else None

    CSRFProtect(app)

    @app.post("/py/login")
    def login():
        """Flask-Login's login_user, after Flask-WTF's CSRF check (CSRFProtect)."""
        name = request.form.get("name", "")
        ids = {v: k for k, v in USERS.items()}
        if name not in ids or PASSWORDS[name] != request.form.get("password"):
            return "wrong", 401
        login_user(User(ids[name]), remember=request.form.get("remember") == "yes")
        return "logged in"

    @app.get("/py/whoami")
    def whoami():
        if not current_user.is_authenticated:
            return "anonymous"
        return f"{current_user.name} fresh={login_fresh()}"

    @app.get("/py/logout-user")
    def logout_user_view():
        logout_user()
        return "logged out"

    @app.get("/py/csrf")
    def csrf():
        """The CSRF token a form of this side would carry."""
        return generate_csrf()

    @app.post("/py/form")
    def form():
        return "posted"

    @app.get("/py/remember")
    def remember():
        """Stores one value of each type Flask's tagged JSON knows."""
        session["count"] = 1
        session["pair"] = (1, "x")
        session["raw"] = b"\x00\xff"
        session["motto"] = Markup("<b>bold</b>")
        session["token"] = uuid.UUID("12345678-1234-5678-1234-567812345678")
        session["since"] = datetime(2026, 12, 7, 10, 0, 0, tzinfo=timezone.utc)
        session["tricky"] = {" t": 5}
        session["name"] = "h\u00e9llo \u2713"
        session["cart"] = ["apple"]
        flash("Saved by Python", "info")
        return "remembered"

    @app.get("/py/session")
    def show():
        """Every session value with its Python type, as JSON."""
        return jsonify(
            {key: [type(value).__name__, repr(value)] for key, value in session.items()}
        )

    @app.get("/py/flashes")
    def flashes():
        return jsonify(get_flashed_messages(with_categories=True))

    @app.get("/py/permanent")
    def permanent():
        session.permanent = True
        session["stay"] = "yes"
        return "permanent"

    @app.get("/py/logout")
    def logout():
        session.clear()
        return "bye"

    return app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    # One line per request is noise in the tests; errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", args.port, create_app(), threaded=True)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
