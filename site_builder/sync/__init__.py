"""`jamdat sync`: keep project pages in step with their repositories."""
