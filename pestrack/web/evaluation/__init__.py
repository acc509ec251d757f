"""The analyst's evaluation page: an impact estimate on the analytics tables, in the browser."""
