from django.urls import path

from salama.safety import board, views, views_field

app_name = "safety"
urlpatterns = [
    path("", views.field, name="field"),
    path("call/", views.field_call, name="field_call"),
    path("send/", views_field.field_send, name="field_send"),
    path("session/", views_field.field_session, name="field_session"),
    path("offline/", views_field.field_shell, name="field_shell"),
    path("lock/", views_field.field_lock, name="field_lock"),
    path("unlock/", views_field.field_unlock, name="field_unlock"),
    path("pin/", views_field.field_pin, name="field_pin"),
    path("sw.js", views_field.field_sw, name="field_sw"),
    path("manifest.webmanifest", views_field.field_manifest, name="field_manifest"),
    path("field-settings/", views_field.field_settings, name="field_settings"),
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
