//! The agent of a browser login: the `/session/api` query's `agent_port`,
//! `agent_name` and `agent_version`, read and checked.

use axum::http::StatusCode;

use super::store::{self, Agent, LiquidFiles};
use crate::fault::Fault;

/// The agent of a `/session/api` query (`agent_port`, `agent_name`,
/// `agent_version`), or why it is refused; an `agent_port` that is not a
/// port is refused only with `check_port` (`liquidfiles.agent-port-check`).
pub fn agent_of(
    lf: &LiquidFiles,
    query: Option<&str>,
    check_port: bool,
) -> Result<Agent, (StatusCode, String)> {
    let mut agent = Agent::default();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match k.as_ref() {
            "agent_port" => &mut agent.port,
            "agent_name" => &mut agent.name,
            "agent_version" => &mut agent.version,
            _ => continue,
        };
        if slot.is_some() {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("{k} is given more than once."),
            ));
        }
        *slot = Some(v.into_owned());
    }
    if let Some(port) = &agent.port
        && check_port
        && store::parse_agent_port(port).is_none()
        && !lf.fault_is(Fault::AgentPortUnchecked)
    {
        return Err((
            StatusCode::BAD_REQUEST,
            "agent_port must be a whole number from 1 to 65535.".to_owned(),
        ));
    }
    let max = lf.config().max_agent_field;
    for (name, value) in [
        ("agent_name", &agent.name),
        ("agent_version", &agent.version),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("{name} may have at most {max} characters."),
            ));
        }
    }
    Ok(agent)
}
