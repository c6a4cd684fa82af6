"""A Flask-SQLAlchemy + Flask-Migrate app whose database flask-rs takes over (tests/takeover.rs).

Its models use what Flask apps commonly use: integer keys, unique and indexed strings, text,
booleans, decimals, dates and times, a foreign key with ON DELETE CASCADE, a many-to-many
association table, and a unique constraint and an index on two columns.
"""

import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)


def only_this_apps_tables(name, type_, parent_names):
    # The test databases hold other tests' tables too: autogenerate leaves them alone.
    return type_ != "table" or name.startswith("fm_")


migrate = Migrate(app, db, include_name=only_this_apps_tables)

post_tag = db.Table(
    "fm_post_tag",
    db.Column("post_id", db.Integer, db.ForeignKey("fm_post.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", db.Integer, db.ForeignKey("fm_tag.id"), primary_key=True),
)


class User(db.Model):
    __tablename__ = "fm_user"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), unique=True, nullable=False)
    name = db.Column(db.String(80), nullable=False, index=True)
    active = db.Column(db.Boolean, nullable=False)
    bio = db.Column(db.Text)
    posts = db.relationship("Post", back_populates="author")


class Post(db.Model):
    __tablename__ = "fm_post"
    __table_args__ = (
        db.UniqueConstraint("author_id", "title"),
        db.Index("ix_fm_post_created_title", "created", "title"),
    )
    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.Integer, db.ForeignKey("fm_user.id", ondelete="CASCADE"), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text, nullable=False)
    price = db.Column(db.Numeric(10, 2))
    day = db.Column(db.Date)
    created = db.Column(db.DateTime, nullable=False)
    author = db.relationship("User", back_populates="posts")
    tags = db.relationship("Tag", secondary=post_tag)


class Tag(db.Model):
    __tablename__ = "fm_tag"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), unique=True, nullable=False)
