"""Streamlit pages of Counterpoint: thin views over the core, one file per page."""
