"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

import jinja2
from aiohttp import web

from federation.client import FederationClient
from node.runtime import Node

NODE = web.AppKey("node", Node)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
CLIENT = web.AppKey("client", FederationClient)
