"""What each role of ours may reach, as FAB built-in roles (regexes on view and permission names).

Naming carries the rule: back-office views end in ``AdminView``/``AdminApi``, portal views in
``PortalView``/``PortalApi``, and APIs both serve in ``SharedApi`` (their endpoints and the
services decide what each one sees). Admin is FAB's admin role and reaches everything.
"""

# Every user's own account: the account page (FAB's user info page leads there), their details
# and their password.
_ACCOUNT = [r"^(AccountView|UserInfoEditView|ResetMyPasswordView)$", r".*"]
_OWN_USER_INFO = [r"^UserDBModelView$", r"^can_userinfo$"]

STAFF_PERMISSIONS = [
    # Organisations, settings and requested services are changed by Admin (SPEC §1, §6); the
    # team only reads them. The queues and failed jobs are Admin's alone.
    [
        r"^(?!OrganisationAdminView$|SettingsAdminView$|RequestedServiceAdminView$"
        r"|JobsAdminView$).*AdminView$",
        r".*",
    ],
    [r"^(OrganisationAdminView|RequestedServiceAdminView)$", r"^can_list$"],
    [r"^SettingsAdminView$", r"^can_show$"],
    [r".*AdminApi$", r".*"],
    [r".*SharedApi$", r".*"],
    [r"^OpenApi$", r"^can_get$"],
    [r"^SwaggerView$", r"^can_show$"],
    _ACCOUNT,
    _OWN_USER_INFO,
    [
        r"^(Projets|Projects|Organisations|Back office|Suivi|Tableau de bord"
        r"|Paiements|Factures|Avoirs|Journal des emails|Prestations|Exports comptables|Réglages)$",
        r"^menu_access$",
    ],
]

ORGANISATION_PERMISSIONS = [
    [r".*PortalView$", r".*"],
    [r".*PortalApi$", r".*"],
    [r".*SharedApi$", r".*"],
    _ACCOUNT,
    _OWN_USER_INFO,
    [r"^(Mes projets|Portail)$", r"^menu_access$"],
]

ROLE_PERMISSIONS = {
    "Team": STAFF_PERMISSIONS,
    "OrgAdmin": ORGANISATION_PERMISSIONS,
    "OrgMember": ORGANISATION_PERMISSIONS,
}
