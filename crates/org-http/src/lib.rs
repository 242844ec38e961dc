//! org-http
