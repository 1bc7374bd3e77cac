"""How the node is doing, for its admins: the delivery queue and the hosts that fail (each
with its breaker), the inbox backlog, the periodic jobs' last runs, the version and the
database in use. Read on each visit: nothing here is kept."""

from __future__ import annotations

from aiohttp import web

from node.http.pages.render import render, visitor_of
from node.http.pages.staff import admin_of
from node.http.state import NODE
from node.locale.languages import N_, word
from node.queue import health

routes = web.RouteTableDef()

# What each periodic job does, as the page says it (a job without words here shows its name).
JOB_WORDS = {
    "prune_deliveries": N_("Forgets deliveries that are done"),
    "expire_bans": N_("Ends bans and suspensions that ran out"),
    "expire_domain_blocks": N_("Ends domain blocks that ran out"),
    "sync_blocklists": N_("Fetches the subscribed blocklists that are due"),
    "prune_received": N_("Forgets the bodies of received activities kept long enough"),
    "send_crisis_pages": N_("Sends the crisis alerts that are due"),
    "escalate_crisis": N_("Moves acute crisis items nobody took a stage on"),
    "purge_assessments": N_("Forgets old crisis assessments"),
}
OUTCOME_WORDS = {
    "running": N_("running"),
    "done": N_("done"),
    "put_off": N_("put off (the database or a server did not answer)"),
    "failed": N_("failed (the log has the details)"),
}
BREAKER_WORDS = {
    health.Breaker.CLOSED: N_("still trying"),
    health.Breaker.OPEN: N_("paused"),
    health.Breaker.PROBING: N_("trying once more"),
}
STATE_WORDS = {
    "pending": N_("waiting"),
    "delivered": N_("delivered"),
    "failed": N_("given up"),
    "cancelled": N_("cancelled"),
    "received": N_("waiting to be applied"),
    "processed": N_("applied"),
    "rejected": N_("refused"),
}


@routes.get("/admin/health")
async def health_page(request: web.Request) -> web.Response:
    acting = await admin_of(request)
    language = visitor_of(request).language
    found = await health.health(request.app[NODE], acting)

    def words(table: dict[str, str]) -> dict[str, str]:
        return {key: word(text, language) for key, text in table.items()}

    return render(
        request,
        "admin_health.html",
        health=found,
        job_words=words(JOB_WORDS),
        outcome_words=words(OUTCOME_WORDS),
        breaker_words=words({b.value: t for b, t in BREAKER_WORDS.items()}),
        state_words=words(STATE_WORDS),
    )
