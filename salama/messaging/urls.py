from django.urls import path

from salama.messaging import views, views_android, views_codes, views_demo, views_text, webhooks

app_name = "messaging"
urlpatterns = [
    path("deliveries/", views.deliveries, name="deliveries"),
    path("codes/<int:person_id>/", views_codes.personal_code, name="personal_code"),
    path("deliveries/<int:delivery_id>/retry", views.delivery_retry, name="delivery_retry"),
    path("suppressed/", views.suppressions, name="suppressions"),
    path(
        "suppressed/<int:suppression_id>/release",
        views.suppression_release,
        name="suppression_release",
    ),
    path("texts/", views.text_list, name="texts"),
    path("texts/edit", views.text_edit, name="text_edit"),
    # M1: the text channel
    path("unmatched/", views_text.unmatched, name="unmatched"),
    path("unmatched/<int:inbound_id>/attach", views_text.unmatched_attach, name="attach"),
    path("unmatched/<int:inbound_id>/dismiss", views_text.unmatched_dismiss, name="dismiss"),
    path("simulator/", views_text.simulator, name="simulator"),
    path("demo-phones/", views_demo.phones, name="demo_phones"),
    path("keywords/", views_text.keywords, name="keywords"),
    path("gateways/", views_text.gateways, name="gateways"),
    path("gateways/<str:kind>/", views_text.gateway_edit, name="gateway_edit"),
    # Gateway webhooks: authenticated by signature; the key is a random name, not a secret.
    path("hooks/<str:gateway_key>/inbound", webhooks.hook_inbound, name="hook_inbound"),
    path("hooks/<str:gateway_key>/status", webhooks.hook_status, name="hook_status"),
    # M2: Android phone gateways (the phone's requests carry its secret, not a session).
    path("phones/", views_android.phone_list, name="phones"),
    path("phones/use", views_android.phone_use, name="phone_use"),
    path("phones/<int:phone_id>/revoke", views_android.phone_revoke, name="phone_revoke"),
    path("phones/<int:phone_id>/secret", views_android.phone_secret, name="phone_secret"),
    path("android/<str:phone_key>/inbound", views_android.phone_inbound, name="phone_inbound"),
    # The stock SMSSync app's one Sync URL (the same view: texts and ?task= calls).
    path("android/<str:phone_key>/smssync", views_android.phone_inbound, name="phone_smssync"),
    path("android/<str:phone_key>/outbox", views_android.phone_outbox, name="phone_outbox"),
    path("android/<str:phone_key>/status", views_android.phone_status, name="phone_status"),
]
