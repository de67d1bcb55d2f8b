"""The Streamlit part of the product: the only place that imports streamlit."""
