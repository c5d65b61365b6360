"""Documents people keep: invoices and credit notes as PDF files."""
