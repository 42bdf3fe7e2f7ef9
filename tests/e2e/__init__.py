"""Browser tests (Playwright + Debian Chromium) against a real `streamlit run app.py`."""
