//! org-infra
