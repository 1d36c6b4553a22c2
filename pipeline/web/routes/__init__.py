"""The routes of the web app, one small module per page, and the JSON API."""
