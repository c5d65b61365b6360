"""Email: rendering a template in the reader's language, and sending it over SMTP."""
