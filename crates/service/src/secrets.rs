//! Secrets from the environment or from files (Docker secrets: `NAME_FILE=/run/secrets/…`).

/// `NAME` from the environment, or the trimmed contents of the file named by `NAME_FILE`.
pub fn from_env_or_file(name: &str) -> anyhow::Result<Option<String>> {
    if let Ok(v) = std::env::var(name) {
        if !v.trim().is_empty() {
            return Ok(Some(v.trim().to_owned()));
        }
    }
    if let Ok(path) = std::env::var(format!("{name}_FILE")) {
        let v = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("{name}_FILE={path}: {e}"))?;
        return Ok(Some(v.trim().to_owned()));
    }
    Ok(None)
}
