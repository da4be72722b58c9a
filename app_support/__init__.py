"""Helpers of the Streamlit app: identity, the i18n catalogue, cached engine calls, page registry."""
