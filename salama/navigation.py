"""The main navigation's sections (U1 item 10): template tags for salama/templates/nav.html.

nav.html draws each role's home first, then a few sections that match the work. Each section is
a `{% navsection "key" label %}` block holding the `{% include "<app>/_nav.html" %}` lines of the
apps that have links there; a section in which the viewer's role sees no link is not drawn at
all, so a new app adds its include line to a section and nothing else (docs/architecture.md).

A section is a <details> element: a drop-down on a wide screen, a row of the "Menu" panel on a
phone, both without JavaScript. The section holding the current page is marked (aria-current),
so a coordinator sees where they are with every section closed."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


class NavSectionNode(template.Node):
    def __init__(self, key: str, label: template.base.FilterExpression, nodelist: Any) -> None:
        self.key = key
        self.label = label
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        links = self.nodelist.render(context).strip()
        if "<a " not in links:
            return mark_safe("")
        request = context.get("request")
        path = getattr(request, "path", "")
        current = bool(path) and f'href="{path}"' in links
        return format_html(
            '<details class="navsection{}" name="mainnav" id="nav-section-{}">'
            '<summary{}>{}</summary><div class="navmenu">{}</div></details>',
            " current" if current else "",
            self.key,
            mark_safe(' aria-current="true"') if current else "",
            self.label.resolve(context),
            mark_safe(links),  # noqa: S308 - rendered by the template engine, escaped there
        )


@register.tag
def navsection(parser: template.base.Parser, token: template.base.Token) -> NavSectionNode:
    """{% navsection "people" _("People and safety") %} … includes … {% endnavsection %}"""
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError("navsection takes a key and a label")
    key = bits[1].strip("\"'")
    label = parser.compile_filter(bits[2])
    nodelist = parser.parse(("endnavsection",))
    parser.delete_first_token()
    return NavSectionNode(key, label, nodelist)
