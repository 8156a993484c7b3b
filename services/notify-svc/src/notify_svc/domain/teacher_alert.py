"""The email a teacher gets when one of their students needs support.

Teachers are staff, not families: the message is in English (the district's
working language; no per-teacher language is on the roster), names the
student by id (what the teacher portal shows and links by) and the competency
(its English title with the code, or the code alone when no title is known),
and links to the student's page in the teacher portal. Like the families'
mails it carries no name, score or accommodation: those are one click away,
behind the teacher's sign-in.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from notify_svc.domain.competency_names import CompetencyNames, name
from notify_svc.domain.templates import Item, Rendered, skill

TEMPLATE = "teacher_support_needed.en"


def student_page(portal_url: str, student_id: str) -> str:
    """The student's page in the teacher portal."""
    return f"{portal_url.rstrip('/')}/teacher/students/{quote(student_id, safe='')}"


def render_teacher_alert(
    item: Item, student_id: str, portal_url: str, names: CompetencyNames | None = None
) -> Rendered:
    """A support alert for one of the student's teachers (plain text and HTML)."""
    link = student_page(portal_url, student_id)
    named = name(names, item.code, "en")
    plain = f" with {skill(named, 'en')}" if item.code else ""
    subject = f"Pathwise: student {student_id} needs support"
    headline = "A student of yours needs support"
    body = (
        f"Pathwise flagged that student {student_id} needs support{plain}. "
        "Checking in now can help before it becomes a problem."
    )
    text = f"{headline}\n\n{body}\n\nOpen the student's page: {link}\n\n— Pathwise\n"
    marked_skill = f" with {skill(named, 'en', quote=True)}" if item.code else ""
    html = (
        '<!doctype html><html lang="en"><body>'
        f"<h1>{escape(headline)}</h1>"
        f"<p>Pathwise flagged that student <strong>{escape(student_id)}</strong> needs "
        f"support{marked_skill}. Checking in now can help before it becomes a problem.</p>"
        f'<p><a href="{escape(link)}">Open the student\'s page</a></p>'
        "<p><small>— Pathwise</small></p></body></html>"
    )
    return Rendered(
        template=TEMPLATE,
        language="en",
        subject=subject,
        text=text,
        html=html,
        kinds=(item.kind,),
    )
