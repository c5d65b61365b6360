"""The web application gunicorn serves: ``gunicorn wsgi:app``.

Built as a web app, its database statements are limited in time (see ``create_app``);
``run.py`` builds the one the ``flask`` commands use, without that limit.
"""

from app import create_app, settle_process

app = create_app(web=True)
settle_process()
