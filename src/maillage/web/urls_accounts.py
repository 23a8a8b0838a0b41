from django.urls import path

from maillage.web.views import account, auth

urlpatterns = [
    path("compte/", account.account, name="account"),
    path("compte/nom/", account.account_profile, name="account_profile"),
    path("compte/verification/", account.email_verification, name="email_verification"),
    path("compte/verification/<str:token>/", account.email_verify, name="email_verify"),
    path("compte/adresse/", account.email_change, name="email_change"),
    path("compte/adresse/<str:token>/", account.email_change_confirm, name="email_change_confirm"),
    path("compte/mot-de-passe/", account.PasswordChangeView.as_view(), name="password_change"),
    path("compte/mot-de-passe/oublie/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("compte/mot-de-passe/oublie/envoye/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "compte/mot-de-passe/nouveau/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("compte/mot-de-passe/change/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("espace/invitations/<int:invitation_id>/annuler/", account.invitation_cancel, name="invitation_cancel"),
]
