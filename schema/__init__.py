"""The QAPI schema files, installed as the data package ``qmpnuma.schema``.

pyproject.toml maps the package onto this directory, so that the schema has
one copy in git and is found with importlib.resources in a checkout, an
editable install and a wheel alike.
"""
