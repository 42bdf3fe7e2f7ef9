"""Streamlit widgets and Plotly figure builders shared by the pages (pages → components → tuneboard)."""
