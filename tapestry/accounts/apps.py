from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tapestry.accounts"
    label = "accounts"
