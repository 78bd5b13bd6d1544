//! Which community a publish goes to: the one asked for, else `publish.community` from
//! the configuration, else the node's first admitted community (`default` for a node
//! without admission). A node admitted to the network may only publish to its own
//! communities.

use serde_json::json;

use super::{ApiError, AppState};

/// Choose and check the community of a publish request.
pub fn choose(st: &AppState, asked: Option<&str>) -> Result<String, ApiError> {
    let admission = st.net.status().admission;
    let community = match asked {
        Some(c) => c.to_string(),
        None if !st.community.is_empty() => st.community.clone(),
        None => admission
            .as_ref()
            .and_then(|a| a.communities.iter().find(|c| c.as_str() != "*").cloned())
            .unwrap_or_else(|| "default".to_string()),
    };
    shoal_protocol::envelope::check_community(&community)
        .map_err(|e| ApiError::bad_request(format!("`community`: {e}")))?;
    if let Some(a) = admission {
        let all = a.communities.iter().any(|c| c == "*");
        if !all && !a.communities.contains(&community) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "this node is not admitted to that community",
                json!({"community": community, "admitted": a.communities}),
            ));
        }
    }
    Ok(community)
}
