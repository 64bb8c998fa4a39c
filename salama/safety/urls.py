from django.urls import path

from salama.safety import board, views

app_name = "safety"
urlpatterns = [
    path("", views.field, name="field"),
    path("call/", views.field_call, name="field_call"),
    path("proxy/", views.proxy, name="proxy"),
    path("relayed/", views.relayed, name="relayed"),
    path("board/", board.board, name="board"),
    path("board/live/", board.board_live, name="board_live"),
    path("person/<int:person_id>/", board.person, name="person"),
    path("person/<int:person_id>/decision/", views.decide, name="decide"),
    path("person/<int:person_id>/clear/", views.clear, name="clear"),
    path("events/", views.events, name="events"),
    path("events/<int:event_id>/close/", views.event_close, name="event_close"),
    path("heightened/", views.heightened, name="heightened"),
    path("heightened/<int:mode_id>/end/", views.heightened_end, name="heightened_end"),
    path("tokens/", views.api_tokens, name="tokens"),
    path("tokens/revoke/", views.api_token_revoke, name="token_revoke"),
]
