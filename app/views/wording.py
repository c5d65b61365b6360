"""Flask-AppBuilder messages our catalog translates again, over FAB's own catalog.

FAB's French for these is wrong ("S'enregistrer" means "register", not "sign in"), misspelt or
missing, and the login asks for an email, not a user name. Listing them here keeps them in our
extracted catalog; Flask-Babel merges our catalog over FAB's, so ours win.
"""

from app.domain.errors import N_

FAB_MESSAGES = (
    N_("Sign In"),
    N_("Login"),
    N_("Logout"),
    N_("Username"),
    N_("Enter your login and password below"),
    N_("Invalid login. Please try again."),
    N_("Add Filter"),
    N_("Record Count"),
    N_("Back"),
    N_("Equal to"),
    N_("Not Equal to"),
    N_("Ends with"),
    N_("Not Contains"),
    N_("Not Starts With"),
    N_("Not Ends With"),
    N_("Your user information"),
    N_("Reset my password"),
)
